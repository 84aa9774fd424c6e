import 'server-only';
import type { ReportedStep, StepStatus, TokenUsage } from '@/lib/contract';
import type { Db } from '@/lib/db/client';
import { writeRunSteps, type RunStepRow } from '@/lib/db/queries/traces';
import type { ModelCallEvent } from '@/lib/llm/types';

/**
 * How long recorded steps wait before they are written. A run's first steps happen while its model requests
 * are in flight; writing then would put store work in front of the answer (PGlite runs one statement at a time).
 */
export const TRACE_WRITE_DELAY_MS = 50;

export type TraceWriter = {
  stepStarted(name: ReportedStep, input: unknown): void;
  stepEnded(name: ReportedStep, status: Exclude<StepStatus, 'started'>, output: unknown, snapshot: unknown): void;
  /** What a step's model call did: the request it sent replaces the step's input; its first token; its tokens. */
  stepCall(name: ReportedStep, call: ModelCallEvent): void;
  /** What a step has produced so far (the answer while it streams), so a crash loses little of it. */
  stepProgress(name: ReportedStep, output: unknown): void;
  /** The tokens a step's model call used, once it has reported them. */
  usageOf(name: ReportedStep): TokenUsage | null;
  /** Writes whatever is recorded now; settles when all of it is stored, or rejects with the write that failed. */
  flush(): Promise<void>;
};

/**
 * The trace rows of every run on one store wait here and go out together: one statement per write, however many
 * runs are going, so a hundred streams cost one write where they would cost a hundred. Writes run one after
 * another, each with the rows as they stood when it began, so the stored trace only ever moves forward.
 */
export type TraceSink = { touch(row: RunStepRow): void; flush(): Promise<void> };

/** How long rows whose write failed wait before they are written again (with whatever changed meanwhile). */
export const TRACE_RETRY_DELAY_MS = 1000;

export function createTraceSink(
  db: Db,
  { delayMs = TRACE_WRITE_DELAY_MS, write = writeRunSteps }: { delayMs?: number; write?: typeof writeRunSteps } = {},
): TraceSink {
  const dirty = new Set<RunStepRow>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let written: Promise<void> = Promise.resolve();

  const schedule = (ms: number) => {
    timer ??= setTimeout(() => void flush().catch((error: unknown) => console.error('[sluice] trace write failed', error)), ms);
  };

  const flush = (): Promise<void> => {
    clearTimeout(timer);
    timer = undefined;
    if (dirty.size === 0) return written;
    const rows = [...dirty];
    // A copy of the rows as they stand now: later changes go into the next write.
    const batch = rows.map((row) => ({ ...row }));
    dirty.clear();
    // Each write waits for the one before, and fails on its own: the next write is tried all the same. The rows
    // of a write that failed (the store away) are written again later, as they stand then: nothing is dropped.
    written = written
      .catch(() => {})
      .then(() => write(db, batch))
      .catch((error: unknown) => {
        for (const row of rows) dirty.add(row);
        schedule(TRACE_RETRY_DELAY_MS);
        throw error;
      });
    return written;
  };

  return {
    touch(row) {
      dirty.add(row);
      schedule(delayMs);
    },
    flush,
  };
}

/**
 * Writes a run's trace (one row per step) beside the stream, never in front of it. Recording a step only notes
 * it, with its own times; the rows are written a little later with other runs' rows (the store's one sink), or
 * when the run ends.
 */
export function createTraceWriter(store: TraceSink, runId: string): TraceWriter {
  const rows = new Map<ReportedStep, RunStepRow>();
  let nextSeq = 1;

  return {
    stepStarted(name, input) {
      const row: RunStepRow = { runId, seq: nextSeq++, name, status: 'started', input, startedAt: new Date() };
      rows.set(name, row);
      store.touch(row);
    },
    stepEnded(name, status, output, snapshot) {
      const row = rows.get(name);
      if (!row) return;
      Object.assign(row, { status, output, snapshot, endedAt: new Date() });
      store.touch(row);
    },
    stepCall(name, call) {
      const row = rows.get(name);
      if (!row) return;
      if (call.type === 'request') row.input = call.request;
      else if (call.type === 'first_token') row.firstTokenAt ??= new Date();
      else row.usage = call.usage;
      store.touch(row);
    },
    stepProgress(name, output) {
      const row = rows.get(name);
      if (!row || row.status !== 'started') return;
      row.output = output;
      store.touch(row);
    },
    usageOf: (name) => (rows.get(name)?.usage as TokenUsage | undefined) ?? null,
    flush: () => store.flush(),
  };
}
