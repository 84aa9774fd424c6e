import type { ResponsePart } from '@/lib/llm/types';

const TURN_ENDED = Symbol('turn ended');

/**
 * The parts of a streamed answer, those that are ready within one turn of the event loop joined into one (text
 * with text, reasoning with reasoning, in order). A model's stream is read as the socket delivers it: one chunk
 * at a time when the server keeps up, so nothing waits; many at once when it is busy, and then the machine, the
 * event log and the encoder take each turn's text once instead of once per token.
 */
export async function* coalesceReadyParts(parts: AsyncIterable<ResponsePart>): AsyncGenerator<ResponsePart> {
  const source = parts[Symbol.asyncIterator]();
  let pending = source.next();
  try {
    for (;;) {
      const first = await pending;
      if (first.done) return;
      let held = first.value;
      pending = source.next();
      // One check per joined part, not per token: parts already read come before the next turn's check phase.
      const turnEnded = new Promise<typeof TURN_ENDED>((resolve) => setImmediate(resolve, TURN_ENDED));
      for (;;) {
        let next: IteratorResult<ResponsePart> | typeof TURN_ENDED;
        try {
          next = await Promise.race([pending, turnEnded]);
        } catch (error) {
          // What was read before a failure is still the answer's: it goes out first.
          yield held;
          throw error;
        }
        if (next === TURN_ENDED) break;
        if (next.done) {
          yield held;
          return;
        }
        pending = source.next();
        if (next.value.type === held.type) held = { type: held.type, text: held.text + next.value.text };
        else {
          yield held;
          held = next.value;
        }
      }
      yield held;
    }
  } finally {
    // A reader that stops early (a cancel) ends the source too, once the read under way settles (the cancel's abort
    // settles it); not awaited, so stopping never waits on the model.
    pending.catch(() => {});
    source.return?.().catch(() => {});
  }
}
