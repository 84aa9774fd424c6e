import 'server-only';
import type { ReportedStep, StepStatus } from '@/lib/contract';
import type { Db } from '@/lib/db/client';
import { writeRunSteps, type RunStepRow } from '@/lib/db/queries';

/**
 * How long recorded steps wait before they are written. A run's first steps happen while its model requests
 * are in flight; writing then would put store work (on PGlite, on this very thread) in front of the answer.
 */
export const TRACE_WRITE_DELAY_MS = 50;

export type TraceWriter = {
  stepStarted(name: ReportedStep, input: unknown): void;
  stepEnded(name: ReportedStep, status: Exclude<StepStatus, 'started'>, output: unknown, snapshot: unknown): void;
  /** Writes whatever is recorded now; settles when all of it is stored, or rejects with the write that failed. */
  flush(): Promise<void>;
  /** Steps recorded and not yet stored. */
  readonly pending: number;
};

/**
 * Writes a run's trace (one row per step) beside the stream, never in front of it. Recording a step only
 * notes it, with its own times; the rows are written in batches, one statement each, a little later or when
 * the run ends. Batches run one after another, so the stored trace only ever moves forward; nothing is dropped.
 */
export function createTraceWriter(db: Db, runId: string, delayMs = TRACE_WRITE_DELAY_MS): TraceWriter {
  const rows = new Map<ReportedStep, RunStepRow>();
  const dirty = new Set<RunStepRow>();
  let nextSeq = 1;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let written: Promise<void> = Promise.resolve();
  let failure: unknown = null;
  let inFlight = 0;

  const writeBatch = () => {
    clearTimeout(timer);
    timer = undefined;
    if (dirty.size === 0) return written;
    // A snapshot of the rows as they stand now: later changes go into the next batch.
    const batch = [...dirty].map((row) => ({ ...row }));
    dirty.clear();
    inFlight += batch.length;
    written = written
      .then(() => (failure ? undefined : writeRunSteps(db, batch)))
      .catch((error: unknown) => {
        failure ??= error;
      })
      .finally(() => void (inFlight -= batch.length));
    return written;
  };

  const touch = (row: RunStepRow) => {
    dirty.add(row);
    timer ??= setTimeout(writeBatch, delayMs);
  };

  return {
    stepStarted(name, input) {
      const row: RunStepRow = { runId, seq: nextSeq++, name, status: 'started', input, startedAt: new Date() };
      rows.set(name, row);
      touch(row);
    },
    stepEnded(name, status, output, snapshot) {
      const row = rows.get(name);
      if (!row) return;
      Object.assign(row, { status, output, snapshot, endedAt: new Date() });
      touch(row);
    },
    async flush() {
      await writeBatch();
      if (failure) throw failure;
    },
    get pending() {
      return dirty.size + inFlight;
    },
  };
}
