import { asc, eq } from 'drizzle-orm';
import { runs, runSteps, type Db } from '@/lib/db/schema';

/** A run's trace rows as stored, in step order: what the tests look at beneath the inspector's view. */
export async function listRunSteps(db: Db, runId: string) {
  return db.select().from(runSteps).where(eq(runSteps.runId, runId)).orderBy(asc(runSteps.seq));
}

/** A conversation's run rows as stored, oldest first. */
export async function listRuns(db: Db, conversationId: string) {
  return db.select().from(runs).where(eq(runs.conversationId, conversationId)).orderBy(asc(runs.startedAt));
}
