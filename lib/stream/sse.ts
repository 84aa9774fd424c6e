import { AppError } from '@/lib/errors';
import type { LoggedEvent, RunEventSource } from '@/lib/stream/event-log';

export const SSE_HEADERS = {
  'Content-Type': 'text/event-stream; charset=utf-8',
  // no-transform keeps proxies and Next's compression from buffering the stream.
  'Cache-Control': 'no-cache, no-transform',
  'X-Accel-Buffering': 'no',
} as const;

export function encodeSseEvent({ id, event }: LoggedEvent): string {
  return `id: ${id}\ndata: ${JSON.stringify(event)}\n\n`;
}

export const SSE_PING = ': ping\n\n';

/** Where a returning reader picks up: after the `Last-Event-ID` it sends (EventSource does so on reconnect). */
export function parseLastEventId(header: string | null): number {
  if (header === null || header.trim() === '') return 0;
  if (!/^\d{1,9}$/.test(header.trim())) throw new AppError('invalid_event_id');
  return Number(header.trim());
}

/**
 * A response body that follows a run's event log from `afterId`. Closing it (the client left) only unsubscribes:
 * the run goes on. While nothing is sent for `pingIntervalMs`, a comment keeps proxies from timing out.
 *
 * Events that arrive within one turn of the event loop go out as one chunk: alone, each delta is still sent as it
 * comes; under load (or on a replay) the events that have piled up cost one write instead of one each.
 */
export function createSseStream(log: RunEventSource, { afterId = 0, pingIntervalMs }: { afterId?: number; pingIntervalMs: number }) {
  const encoder = new TextEncoder();
  let open = true;
  let unsubscribe = () => {};
  let pingTimer: ReturnType<typeof setTimeout> | undefined;
  const stop = () => {
    open = false;
    clearTimeout(pingTimer);
    unsubscribe();
  };

  return new ReadableStream<Uint8Array>({
    start(controller) {
      let batch = '';
      let flushScheduled = false;
      let lastSentAt = performance.now();
      const send = (text: string) => {
        controller.enqueue(encoder.encode(text));
        lastSentAt = performance.now();
      };
      const flush = () => {
        flushScheduled = false;
        if (!open || batch === '') return;
        send(batch);
        batch = '';
      };
      // One timer for the stream's life, not one per event: it pings only when nothing went out for a while.
      const checkIdle = () => {
        if (!open) return;
        const idleMs = performance.now() - lastSentAt;
        if (idleMs >= pingIntervalMs) send(SSE_PING);
        pingTimer = setTimeout(checkIdle, idleMs >= pingIntervalMs ? pingIntervalMs : pingIntervalMs - idleMs);
      };
      pingTimer = setTimeout(checkIdle, pingIntervalMs);
      unsubscribe = log.follow(afterId, {
        onEvent(entry) {
          if (!open) return;
          batch += encodeSseEvent(entry);
          if (!flushScheduled) {
            flushScheduled = true;
            setImmediate(flush);
          }
        },
        onClose() {
          if (!open) return;
          flush();
          stop();
          controller.close();
        },
      });
    },
    cancel: stop,
  });
}

/** The response that streams a run's log to one reader. */
export function sseResponse(log: RunEventSource, options: { afterId?: number; pingIntervalMs: number }): Response {
  return new Response(createSseStream(log, options), { status: 200, headers: SSE_HEADERS });
}
