CREATE TABLE "run_quotas" (
	"owner_id" text PRIMARY KEY NOT NULL,
	"window_started_at" timestamp with time zone NOT NULL,
	"runs" integer NOT NULL
);
--> statement-breakpoint
DROP INDEX "conversations_activity_idx";--> statement-breakpoint
-- Conversations from before sessions existed belong to no session ('unowned' is no token's hash).
ALTER TABLE "conversations" ADD COLUMN "owner_id" text NOT NULL DEFAULT 'unowned';--> statement-breakpoint
ALTER TABLE "conversations" ALTER COLUMN "owner_id" DROP DEFAULT;--> statement-breakpoint
CREATE INDEX "conversations_owner_activity_idx" ON "conversations" USING btree ("owner_id","activity" DESC NULLS LAST);