import 'server-only';

/** Where a run lives in Redis: its stream of events, its producer's lease, and the flag that asks it to stop. */
export const runKeys = (runId: string) => ({
  events: `sluice:run:${runId}:events`,
  lease: `sluice:run:${runId}:lease`,
  cancel: `sluice:run:${runId}:cancel`,
});

/** Once a run has ended, its stream stays this long for readers coming back to it, then expires. */
export const RETAIN_AFTER_RUN_MS = 60_000;
/** A safety net: a stream expires this long after its last append even if nothing closes it. */
export const RETAIN_WHILE_RUNNING_MS = 60 * 60_000;
