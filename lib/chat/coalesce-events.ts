import type { ReceivedEvent } from '@/lib/stream/read-sse';

/** About two frames: what the eye needs, while a model writing hundreds of tokens a second costs as many renders. */
export const RENDER_INTERVAL_MS = 33;

/**
 * Hands a stream's events on in batches: text deltas at most once per `intervalMs` (the first one at once), any
 * other event (a step, the mode, done, an error) at once with the deltas before it, in order. One render per
 * batch instead of one per token keeps the page's main thread free however fast the answer comes.
 */
export async function coalesceEvents(
  events: AsyncIterable<ReceivedEvent>,
  onBatch: (batch: ReceivedEvent[]) => void,
  intervalMs = RENDER_INTERVAL_MS,
): Promise<void> {
  let pending: ReceivedEvent[] = [];
  let timer: ReturnType<typeof setTimeout> | null = null;
  let lastFlush = -Infinity;
  const flush = () => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    lastFlush = performance.now();
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    onBatch(batch);
  };
  try {
    for await (const received of events) {
      pending.push(received);
      const since = performance.now() - lastFlush;
      if (received.event.type !== 'delta' || since >= intervalMs) flush();
      else timer ??= setTimeout(flush, intervalMs - since);
    }
  } finally {
    // Whatever arrived before the end (or a failure) is shown.
    flush();
  }
}
