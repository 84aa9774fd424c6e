ALTER TABLE "run_steps" ADD COLUMN "first_token_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "run_steps" ADD COLUMN "usage" jsonb;