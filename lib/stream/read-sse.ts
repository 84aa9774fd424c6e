import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { StreamEventSchema, type StreamEvent } from '@/lib/contract';

export type ReceivedEvent = { id: number; event: StreamEvent };

/**
 * Reads a run's SSE body, in the browser or on the server: a maintained parser reassembles events split
 * across network chunks, and each one is validated against the contract before it is handed on.
 */
export async function* readStreamEvents(
  body: ReadableStream<Uint8Array>,
  options: { onComment?: (comment: string) => void } = {},
): AsyncGenerator<ReceivedEvent> {
  const pending: EventSourceMessage[] = [];
  const parser = createParser({
    onEvent: (message) => pending.push(message),
    onComment: options.onComment,
  });
  const decoder = new TextDecoder();
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parser.feed(decoder.decode(value, { stream: true }));
      while (pending.length > 0) {
        const message = pending.shift()!;
        const event = StreamEventSchema.parse(JSON.parse(message.data));
        yield { id: Number(message.id), event };
      }
    }
  } finally {
    reader.releaseLock();
  }
}
