import { describe, expect, it } from 'vitest';
import { coalesceEvents } from '@/lib/chat/coalesce-events';
import type { StreamEvent } from '@/lib/contract';

const delta = (value: string): StreamEvent => ({ type: 'delta', value });
const mode: StreamEvent = { type: 'mode', value: 'answer_question' };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function* source(events: (StreamEvent | number)[], failAtEnd = false) {
  let id = 0;
  for (const item of events) {
    if (typeof item === 'number') await sleep(item);
    else yield { id: ++id, event: item };
  }
  if (failAtEnd) throw new Error('connection lost');
}

async function batchesOf(events: (StreamEvent | number)[], intervalMs = 30) {
  const batches: StreamEvent[][] = [];
  await coalesceEvents(source(events), (batch) => batches.push(batch.map(({ event }) => event)), intervalMs);
  return batches;
}

describe('coalescing a stream for the page', () => {
  it('hands on a burst of deltas as the first one at once, then the rest together, in order', async () => {
    const burst = Array.from({ length: 100 }, (_, i) => delta(`t${i} `));
    const batches = await batchesOf([...burst, 60]);
    expect(batches).toHaveLength(2);
    expect(batches[0]).toEqual([burst[0]]);
    expect(batches.flat()).toEqual(burst);
  });

  it('hands on any other event at once, with the deltas before it', async () => {
    const batches = await batchesOf([delta('a'), delta('b'), delta('c'), mode, 60]);
    expect(batches).toEqual([[delta('a')], [delta('b'), delta('c'), mode]]);
  });

  it('hands on deltas spaced wider than the interval one by one', async () => {
    const batches = await batchesOf([delta('a'), 50, delta('b'), 50, delta('c')]);
    expect(batches).toEqual([[delta('a')], [delta('b')], [delta('c')]]);
  });

  it('hands on what arrived when the stream ends or fails, without waiting for the interval', async () => {
    const batches: StreamEvent[][] = [];
    // An interval longer than the test may take: waiting for it would time the test out.
    await expect(
      coalesceEvents(source([delta('a'), delta('b'), delta('c')], true), (batch) => batches.push(batch.map(({ event }) => event)), 120_000),
    ).rejects.toThrow('connection lost');
    expect(batches.flat()).toEqual([delta('a'), delta('b'), delta('c')]);
  });
});
