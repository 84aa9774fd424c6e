import 'server-only';
import { asc, desc, eq, inArray, sql } from 'drizzle-orm';
import type { ErrorInfo, ReportedStep, ResponseStep, RunTrace, TokenUsage, TraceStep } from '@/lib/contract';
import { runs, runSteps, type Db } from '@/lib/db/schema';

export type RunStepRow = typeof runSteps.$inferInsert;

/**
 * Writes trace rows as they now stand, in one statement: a row not yet stored is inserted, a stored one (a step
 * that was started in an earlier write) is brought up to date.
 */
export async function writeRunSteps(db: Db, rows: RunStepRow[]): Promise<void> {
  if (rows.length === 0) return;
  await db
    .insert(runSteps)
    .values(rows)
    .onConflictDoUpdate({
      target: [runSteps.runId, runSteps.seq],
      set: {
        status: sql`excluded.status`,
        input: sql`excluded.input`,
        firstTokenAt: sql`excluded.first_token_at`,
        usage: sql`excluded.usage`,
        output: sql`excluded.output`,
        snapshot: sql`excluded.snapshot`,
        endedAt: sql`excluded.ended_at`,
      },
    });
}

/**
 * A conversation's runs with their steps, for the inspector: runs newest first, steps in the order they started
 * (the parallel ones by the order they were recorded).
 */
export async function listRunTraces(db: Db, conversationId: string): Promise<RunTrace[]> {
  const runRows = await db.select().from(runs).where(eq(runs.conversationId, conversationId)).orderBy(desc(runs.startedAt));
  if (runRows.length === 0) return [];
  const stepRows = await db
    .select()
    .from(runSteps)
    .where(inArray(runSteps.runId, runRows.map((run) => run.id)))
    .orderBy(asc(runSteps.runId), asc(runSteps.startedAt), asc(runSteps.seq));
  const stepsByRun = new Map<string, TraceStep[]>();
  for (const row of stepRows) {
    const steps = stepsByRun.get(row.runId) ?? [];
    steps.push(toTraceStep(row));
    stepsByRun.set(row.runId, steps);
  }
  return runRows.map((run) => ({
    id: run.id,
    prompt: run.prompt,
    startedAt: run.startedAt.toISOString(),
    endedAt: run.endedAt?.toISOString() ?? null,
    status: run.status,
    mode: (run.mode as ResponseStep | null) ?? null,
    error: (run.error as ErrorInfo | null) ?? null,
    steps: stepsByRun.get(run.id) ?? [],
  }));
}

function toTraceStep(row: typeof runSteps.$inferSelect): TraceStep {
  const state = row.snapshot as { value: unknown; context: unknown } | null;
  return {
    name: row.name as ReportedStep,
    status: row.status,
    startedAt: row.startedAt.toISOString(),
    endedAt: row.endedAt?.toISOString() ?? null,
    ...(row.firstTokenAt ? { firstTokenMs: row.firstTokenAt.getTime() - row.startedAt.getTime() } : {}),
    ...(row.usage ? { tokens: row.usage as TokenUsage } : {}),
    input: row.input,
    output: row.output,
    state: state ? { value: state.value, context: state.context } : null,
  };
}

