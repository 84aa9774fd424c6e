import { describe, expect, it } from 'vitest';
import type { StreamEvent } from '@/lib/contract';
import { createMemoryEventLog } from '@/lib/stream/event-log';
import { readStreamEvents } from '@/lib/stream/read-sse';
import { createSseStream, encodeSseEvent, parseLastEventId } from '@/lib/stream/sse';

const bodyOf = (pieces: string[]) =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      for (const piece of pieces) controller.enqueue(new TextEncoder().encode(piece));
      controller.close();
    },
  });

async function readAll(body: ReadableStream<Uint8Array>) {
  const out = [];
  for await (const event of readStreamEvents(body)) out.push(event);
  return out;
}

const delta = (value: string): StreamEvent => ({ type: 'delta', value });

describe('the SSE contract', () => {
  it('encodes an event as id and data lines and a blank line', () => {
    expect(encodeSseEvent({ id: 3, event: delta('a\nb "c"') })).toBe('id: 3\ndata: {"type":"delta","value":"a\\nb \\"c\\""}\n\n');
  });

  it('reads events split across chunks, two in one chunk, and multi-byte characters cut in half', async () => {
    const text =
      encodeSseEvent({ id: 1, event: delta('héllo ') }) +
      encodeSseEvent({ id: 2, event: delta('wörld 🌊') }) +
      ': ping\n\n' +
      encodeSseEvent({ id: 3, event: delta('!') });
    const bytes = new TextEncoder().encode(text);
    // cut every 5 bytes: lines, events and UTF-8 sequences all break mid-way
    const pieces: Uint8Array[] = [];
    for (let i = 0; i < bytes.length; i += 5) pieces.push(bytes.slice(i, i + 5));
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const piece of pieces) controller.enqueue(piece);
        controller.close();
      },
    });
    expect(await readAll(body)).toEqual([
      { id: 1, event: delta('héllo ') },
      { id: 2, event: delta('wörld 🌊') },
      { id: 3, event: delta('!') },
    ]);
    // and everything in one chunk
    expect(await readAll(bodyOf([text]))).toHaveLength(3);
  });

  it('rejects an event that breaks the contract', async () => {
    await expect(readAll(bodyOf(['id: 1\ndata: {"type":"delta","value":42}\n\n']))).rejects.toThrow();
  });

  it('replays a run log from any id and follows it live until it closes', async () => {
    const log = createMemoryEventLog();
    log.append(delta('a'));
    log.append(delta('b'));
    const seen: number[] = [];
    let closed = false;
    const unsubscribe = log.follow(1, { onEvent: (e) => seen.push(e.id), onClose: () => (closed = true) });
    log.append(delta('c'));
    expect(seen).toEqual([2, 3]);
    log.close();
    expect(closed).toBe(true);
    unsubscribe();
    const late: number[] = [];
    log.follow(0, { onEvent: (e) => late.push(e.id), onClose: () => {} });
    expect(late).toEqual([1, 2, 3]);
    expect(() => log.append(delta('d'))).toThrow();
  });

  it('streams the log as SSE, pings while idle, and unsubscribes when the reader leaves', async () => {
    const log = createMemoryEventLog();
    const stream = createSseStream(log, { pingIntervalMs: 20 });
    const reader = stream.getReader();
    const decoder = new TextDecoder();
    log.append(delta('x'));
    let text = '';
    while (!text.includes(': ping')) text += decoder.decode((await reader.read()).value);
    expect(text.startsWith('id: 1\ndata: {"type":"delta","value":"x"}\n\n')).toBe(true);
    await reader.cancel();
    // the run goes on without its reader
    expect(() => log.append(delta('y'))).not.toThrow();
  });

  it('reads Last-Event-ID as the id to pick up after, and refuses anything else', () => {
    expect(parseLastEventId(null)).toBe(0);
    expect(parseLastEventId('')).toBe(0);
    expect(parseLastEventId('17')).toBe(17);
    for (const bad of ['abc', '-1', '1.5', '1e3', '9999999999']) {
      expect(() => parseLastEventId(bad)).toThrowError(expect.objectContaining({ code: 'invalid_event_id' }));
    }
  });
});
