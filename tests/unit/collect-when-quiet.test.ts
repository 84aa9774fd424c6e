import { describe, expect, it } from 'vitest';
import {
  checkQuiet,
  collectWhenQuiet,
  COLLECTIONS_AFTER_WORK,
  fullCollection,
  QUIET_START,
  type LoopSample,
  type QuietState,
} from '@/lib/runtime/collect-when-quiet';

const busy: LoopSample = { busyShare: 1, busyMs: 5_000 };
const quiet: LoopSample = { busyShare: 0.001, busyMs: 5 };
const light: LoopSample = { busyShare: 0.05, busyMs: 250 };

/** The collections a run of checks asks for, one boolean per check. */
function collections(samples: LoopSample[], start: QuietState = QUIET_START): boolean[] {
  let state = start;
  return samples.map((sample) => {
    const checked = checkQuiet(state, sample);
    state = checked.state;
    return checked.collect;
  });
}

describe('collecting garbage once the server goes quiet', () => {
  it('collects a few times, one check apart, once the loop goes quiet after work, then stops', () => {
    const asked = collections([busy, busy, ...Array<LoopSample>(6).fill(quiet)]);
    expect(asked).toEqual([false, false, ...Array<boolean>(COLLECTIONS_AFTER_WORK).fill(true), ...Array<boolean>(6 - COLLECTIONS_AFTER_WORK).fill(false)]);
  });

  it('never collects while the server works, or while it idles without having worked', () => {
    expect(collections(Array<LoopSample>(5).fill(busy))).toEqual(Array<boolean>(5).fill(false));
    expect(collections(Array<LoopSample>(20).fill(quiet))).toEqual(Array<boolean>(20).fill(false));
  });

  it('counts light work until it adds up to a stretch worth collecting after', () => {
    // 250 ms of loop time a check: four checks make the second of work that is worth a collection.
    expect(collections([light, light, light, quiet])).toEqual([false, false, false, false]);
    expect(collections([light, light, light, light, quiet])).toEqual([false, false, false, false, true]);
  });

  it('stops collecting when work comes back, and starts again after it', () => {
    expect(collections([busy, quiet, busy, quiet, quiet])).toEqual([false, true, false, true, true]);
  });

  it('runs V8 collections on a timer that does not keep the process alive', async () => {
    let collected = 0;
    const samples = [busy, quiet, quiet];
    const stop = collectWhenQuiet({ everyMs: 10, collect: () => collected++, sample: () => samples.shift() ?? quiet });
    await new Promise((resolve) => setTimeout(resolve, 100));
    stop();
    expect(collected).toBe(COLLECTIONS_AFTER_WORK);
    // The real collection is callable in this process (the flag is set at run time).
    expect(() => fullCollection()()).not.toThrow();
  });
});
