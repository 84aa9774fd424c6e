-- A database two processes once shared may hold several running runs of one conversation: all but the newest were
-- left by a process that is gone, and the start-up sweep closes what is left.
UPDATE "runs" SET "status" = 'interrupted', "ended_at" = now()
WHERE "status" = 'running' AND "id" NOT IN (
  SELECT DISTINCT ON ("conversation_id") "id" FROM "runs" WHERE "status" = 'running' ORDER BY "conversation_id", "started_at" DESC
);--> statement-breakpoint
CREATE UNIQUE INDEX "runs_one_running_per_conversation" ON "runs" USING btree ("conversation_id") WHERE "runs"."status" = 'running';
