import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import v8 from 'node:v8';
import vm from 'node:vm';

/**
 * A server that has just served a burst holds hundreds of MB of garbage: V8 collects when JavaScript allocates,
 * and a quiet server allocates nothing, so the heap it grew into stays resident until the next request (a
 * 1,000-stream burst on PGlite: 277 MB before, 709 MB throughout the 90 s of quiet that followed). Once the process
 * goes quiet after real work, a few full collections give it back: the live old space fell from 244 MB to 40 MB,
 * and a 742 MB peak came back to 330 MB within 15 s of quiet. It takes two or three, one check apart.
 */
export const QUIET_CHECK_MS = 5_000;
/** Quiet: the event loop was busy for less than this share of the last check's interval. */
export const QUIET_LOOP_SHARE = 0.02;
/** Work enough to collect after: event-loop time spent since the last collection, in ms. */
export const WORK_WORTH_COLLECTING_MS = 1_000;
/** Collections after each stretch of work, one per quiet check. */
export const COLLECTIONS_AFTER_WORK = 3;

export type LoopSample = { busyShare: number; busyMs: number };

/** What the collector remembers between checks: the loop time worked since the last collection, and those left. */
export type QuietState = { workedMs: number; collectionsLeft: number };

export const QUIET_START: QuietState = { workedMs: 0, collectionsLeft: 0 };

/** One check: whether to collect now, and what to remember. Pure, so the rule is tested without a clock. */
export function checkQuiet(state: QuietState, sample: LoopSample): { collect: boolean; state: QuietState } {
  const workedMs = state.workedMs + sample.busyMs;
  const quiet = sample.busyShare < QUIET_LOOP_SHARE;
  if (!quiet) return { collect: false, state: { workedMs, collectionsLeft: 0 } };
  const collectionsLeft = workedMs >= WORK_WORTH_COLLECTING_MS ? COLLECTIONS_AFTER_WORK : state.collectionsLeft;
  if (collectionsLeft === 0) return { collect: false, state: { workedMs, collectionsLeft } };
  return { collect: true, state: { workedMs: 0, collectionsLeft: collectionsLeft - 1 } };
}

/**
 * V8's full collection, which Node only exposes to code behind a flag: the flag is set for this isolate here.
 * Called with no options: `gc({ type: 'major', execution: 'sync' })` measured as giving nothing back here.
 */
export function fullCollection(): () => void {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}

/** The event loop's share of busy time, and its busy ms, since the previous sample. */
function loopSampler(): () => LoopSample {
  let previous: EventLoopUtilization = performance.eventLoopUtilization();
  return () => {
    const now = performance.eventLoopUtilization();
    const delta = performance.eventLoopUtilization(now, previous);
    previous = now;
    return { busyShare: delta.utilization, busyMs: delta.active };
  };
}

/** Collects garbage each time the process goes quiet after work; returns how to stop. */
export function collectWhenQuiet({ collect = fullCollection(), sample = loopSampler(), everyMs = QUIET_CHECK_MS } = {}): () => void {
  let state = QUIET_START;
  const timer = setInterval(() => {
    const checked = checkQuiet(state, sample());
    state = checked.state;
    if (!checked.collect) return;
    collect();
    // The collection's own time is not work: the next check starts after it.
    sample();
  }, everyMs);
  // Never what keeps the process alive.
  timer.unref();
  return () => clearInterval(timer);
}
