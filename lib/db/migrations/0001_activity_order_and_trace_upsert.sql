DROP INDEX "conversations_updated_at_idx";--> statement-breakpoint
DROP INDEX "run_steps_run_idx";--> statement-breakpoint
ALTER TABLE "conversations" ADD COLUMN "activity" bigserial NOT NULL;--> statement-breakpoint
CREATE INDEX "conversations_activity_idx" ON "conversations" USING btree ("activity" DESC NULLS LAST);--> statement-breakpoint
CREATE UNIQUE INDEX "run_steps_run_seq_idx" ON "run_steps" USING btree ("run_id","seq");--> statement-breakpoint
-- Existing conversations keep the order they had: numbered by their last activity.
UPDATE "conversations" AS c SET "activity" = o.n
FROM (SELECT "id", row_number() OVER (ORDER BY "updated_at", "created_at") AS n FROM "conversations") AS o
WHERE c."id" = o."id";--> statement-breakpoint
SELECT setval(pg_get_serial_sequence('conversations', 'activity'), GREATEST((SELECT max("activity") FROM "conversations"), 1));
