ALTER TABLE "conversations" ADD COLUMN "title_search" "tsvector" GENERATED ALWAYS AS (to_tsvector('english', translate(left("conversations"."title", 100000), '._/@', '    '))) STORED;--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "search" "tsvector" GENERATED ALWAYS AS (to_tsvector('english', translate(left("messages"."content", 100000), '._/@', '    '))) STORED;--> statement-breakpoint
CREATE INDEX "conversations_title_search_idx" ON "conversations" USING gin ("title_search");--> statement-breakpoint
CREATE INDEX "messages_search_idx" ON "messages" USING gin ("search");