ALTER TABLE "conversations" ADD COLUMN "forked_from_conversation_id" uuid;--> statement-breakpoint
ALTER TABLE "conversations" ADD COLUMN "forked_from_run_id" uuid;--> statement-breakpoint
ALTER TABLE "conversations" ADD COLUMN "forked_from_step" text;--> statement-breakpoint
ALTER TABLE "conversations" ADD CONSTRAINT "conversations_forked_from_conversation_id_conversations_id_fk" FOREIGN KEY ("forked_from_conversation_id") REFERENCES "public"."conversations"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "conversations_forked_from_idx" ON "conversations" USING btree ("forked_from_conversation_id");