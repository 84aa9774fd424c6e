import type { LoggedEvent, RunEventLog } from '@/lib/stream/event-log';

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

/**
 * A response body that follows a run's event log from `afterId`. Closing it (the client left) only unsubscribes:
 * the run goes on. While nothing is sent for `pingIntervalMs`, a comment keeps proxies from timing out.
 */
export function createSseStream(log: RunEventLog, { afterId = 0, pingIntervalMs }: { afterId?: number; pingIntervalMs: number }) {
  const encoder = new TextEncoder();
  let unsubscribe = () => {};
  let pingTimer: ReturnType<typeof setTimeout> | undefined;

  return new ReadableStream<Uint8Array>({
    start(controller) {
      let open = true;
      const schedulePing = () => {
        clearTimeout(pingTimer);
        pingTimer = setTimeout(() => {
          if (!open) return;
          controller.enqueue(encoder.encode(SSE_PING));
          schedulePing();
        }, pingIntervalMs);
      };
      schedulePing();
      unsubscribe = log.follow(afterId, {
        onEvent(entry) {
          if (!open) return;
          controller.enqueue(encoder.encode(encodeSseEvent(entry)));
          schedulePing();
        },
        onClose() {
          if (!open) return;
          open = false;
          clearTimeout(pingTimer);
          controller.close();
        },
      });
    },
    cancel() {
      clearTimeout(pingTimer);
      unsubscribe();
    },
  });
}
