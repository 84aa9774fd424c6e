import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { StreamEvent } from '@/lib/contract';
import type { AppError } from '@/lib/errors';
import type { LoggedEvent, RunEventLog } from '@/lib/stream/event-log';
import { RETAIN_AFTER_RUN_MS, runKeys } from '@/lib/stream/redis-keys';
import { createRedisRunLog, DELTA_FLUSH_MS } from '@/lib/stream/redis-run-log';
import { followRedisRun } from '@/lib/stream/redis-run-reader';
import { acquireRunLease, listenForRunCancels, requestRunCancel } from '@/lib/stream/run-lease';
import { connectedRedis, explainSkippedRedis, REDIS_URL, startOwnRedis } from '../helpers/redis';

explainSkippedRedis();

const delta = (value: string): StreamEvent => ({ type: 'delta', value });
const done: StreamEvent = {
  type: 'done',
  value: { id: randomUUID(), role: 'assistant', content: 'x', type: 'text', status: 'complete', createdAt: new Date().toISOString() },
};

/** A reader's view: what it got, in order, and whether its stream ended. */
function collector() {
  const seen: LoggedEvent[] = [];
  let closed = false;
  let onClosed = () => {};
  const ended = new Promise<void>((resolve) => (onClosed = resolve));
  return {
    seen,
    ended,
    get closed() {
      return closed;
    },
    listener: {
      onEvent: (entry: LoggedEvent) => seen.push(entry),
      onClose: () => {
        closed = true;
        onClosed();
      },
    },
  };
}

async function producer(redis: Redis, leaseMs = 1000) {
  const runId = randomUUID();
  const token = await acquireRunLease(redis, runId, leaseMs);
  const failures: AppError[] = [];
  const cancels = vi.fn();
  const log = createRedisRunLog({ redis, runId, token, leaseMs, onFailure: (error) => failures.push(error), onCancelRequested: cancels });
  return { runId, log, failures, cancels };
}

const ids = (entries: LoggedEvent[]) => entries.map((entry) => entry.id);
/** The text of the deltas among `entries` (deltas written together reach readers as one). */
const textOf = (entries: { event: StreamEvent }[]) => entries.map(({ event }) => (event.type === 'delta' ? event.value : '')).join('');
const wordsUpTo = (count: number) => Array.from({ length: count }, (_, n) => `w${n} `).join('');
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, n) => from + n);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function appendSlowly(log: RunEventLog, count: number, gapMs: number) {
  // As the run service does: nothing is appended once the log has closed (or failed).
  for (let n = 0; n < count && !log.closed; n++) {
    log.append(delta(`w${n} `));
    await sleep(gapMs);
  }
}

describe.runIf(REDIS_URL)('a run log shared through Redis Streams', () => {
  let redis: Redis;
  let other: Redis;

  beforeAll(async () => {
    redis = await connectedRedis(REDIS_URL!);
    // Another instance's connection.
    other = await connectedRedis(REDIS_URL!);
  });
  afterAll(() => {
    redis?.disconnect();
    other?.disconnect();
  });

  it('serves every event to readers anywhere with the producer ids, from any Last-Event-ID, no gap and no duplicate', async () => {
    const { runId, log, failures } = await producer(redis);
    const local = collector();
    log.follow(0, local.listener);
    log.append({ type: 'chat_history', value: [] });
    log.append({ type: 'step', value: { name: 'check_safety', status: 'started' } });
    await appendSlowly(log, 10, 5);

    // A reader on another instance joins mid-run from the start, another after event 4.
    const fromStart = collector();
    const fromFour = collector();
    followRedisRun({ redis: other, runId, afterId: 0, listener: fromStart.listener, onDeclaredLost: async () => {} });
    followRedisRun({ redis: other, runId, afterId: 4, listener: fromFour.listener, onDeclaredLost: async () => {} });
    await appendSlowly(log, 10, 5);
    log.append(done);
    log.close();
    await Promise.all([local.ended, fromStart.ended, fromFour.ended]);

    // Numbered 1, 2, 3... as Redis has them; every word arrives once, in order.
    expect(ids(local.seen)).toEqual(range(1, local.seen.length));
    expect(textOf(local.seen)).toBe(wordsUpTo(10) + wordsUpTo(10));
    expect(fromStart.seen).toEqual(local.seen);
    expect(fromFour.seen).toEqual(local.seen.slice(4));
    expect(local.seen.at(-1)?.event).toEqual(done);
    expect(failures).toEqual([]);
    // After the run: the lease is given back and the stream expires.
    expect(await redis.exists(runKeys(runId).lease)).toBe(0);
    const ttl = await redis.pttl(`sluice:run:${runId}:events`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(RETAIN_AFTER_RUN_MS);
  });

  it('writes deltas in batches, not one write per token, and any other event at once', async () => {
    const { log } = await producer(redis);
    const appends = vi.spyOn(redis as unknown as { sluiceAppend: (...args: unknown[]) => Promise<number> }, 'sluiceAppend');
    const local = collector();
    log.follow(0, local.listener);
    const started = performance.now();
    await appendSlowly(log, 60, 2);
    const elapsed = performance.now() - started;
    log.append(done);
    log.close();
    await local.ended;
    expect(ids(local.seen)).toEqual(range(1, local.seen.length));
    expect(textOf(local.seen)).toBe(wordsUpTo(60));
    // At most one write per flush interval while deltas come (plus the first and the end), each one entry of text.
    expect(appends.mock.calls.length).toBeLessThanOrEqual(Math.ceil(elapsed / DELTA_FLUSH_MS) + 3);
    expect(appends.mock.calls.length).toBeLessThan(30);
    expect(local.seen.length).toBeLessThanOrEqual(appends.mock.calls.length + 1);
    appends.mockRestore();
  });

  it('sends each write without waiting for the one before, and readers get the events in order', async () => {
    const { log } = await producer(redis);
    type Append = (...args: unknown[]) => Promise<number>;
    const target = redis as unknown as { sluiceAppend: Append };
    const send = target.sluiceAppend.bind(redis);
    // Redis gets each write at once; its answers are held back, as a slow round trip would.
    let answer = () => {};
    const answered = new Promise<void>((resolve) => (answer = resolve));
    const appends = vi.spyOn(target, 'sluiceAppend').mockImplementation(async (...args) => {
      const result = send(...args);
      await answered;
      return result;
    });
    const local = collector();
    log.follow(0, local.listener);
    log.append({ type: 'chat_history', value: [] });
    await sleep(20);
    log.append({ type: 'step', value: { name: 'check_safety', status: 'started' } });
    await sleep(20);
    expect(appends).toHaveBeenCalledTimes(2);
    expect(local.seen).toEqual([]);
    answer();
    log.close();
    await local.ended;
    expect(local.seen.map(({ id, event }) => [id, event.type])).toEqual([
      [1, 'chat_history'],
      [2, 'step'],
    ]);
    appends.mockRestore();
  });

  it('declares a producer that stopped renewing its lease lost once, after storing what the stream holds', async () => {
    // The producer's own connection dies with it; its lease then lapses.
    const doomed = await connectedRedis(REDIS_URL!);
    const { runId, log, failures } = await producer(doomed, 600);
    log.append({ type: 'chat_history', value: [] });
    await appendSlowly(log, 5, 5);
    await sleep(DELTA_FLUSH_MS * 2);
    doomed.disconnect();

    const stored = vi.fn(async (events: StreamEvent[]) => {
      await sleep(50);
      return void events;
    });
    const [a, b] = [collector(), collector()];
    followRedisRun({ redis: other, runId, afterId: 0, listener: a.listener, onDeclaredLost: stored });
    followRedisRun({ redis, runId, afterId: 2, listener: b.listener, onDeclaredLost: stored });
    const started = performance.now();
    await Promise.all([a.ended, b.ended]);

    expect(performance.now() - started).toBeLessThan(600 + 2000);
    const lost = { type: 'error', value: { code: 'producer_lost', message: expect.any(String) } };
    expect(ids(a.seen)).toEqual(range(1, a.seen.length));
    expect(a.seen.at(-1)?.event).toEqual(lost);
    expect(b.seen).toEqual(a.seen.slice(2));
    // Exactly one reader stored the run, with every event the producer wrote.
    expect(stored).toHaveBeenCalledTimes(1);
    const events = stored.mock.calls[0]![0];
    expect(textOf(events.map((event) => ({ event })))).toBe(wordsUpTo(5));
    expect(events).toEqual(a.seen.map(({ event }) => event));
    expect(failures.map((error) => error.code)).toEqual(['stream_unavailable']);
  });

  it('fences a producer that lost its lease: nothing it appends afterwards reaches the stream', async () => {
    const { runId, log, failures } = await producer(redis, 5000);
    log.append({ type: 'chat_history', value: [] });
    await sleep(DELTA_FLUSH_MS);
    // The producer stalled past its lease, and a reader declared it lost.
    await redis.del(`sluice:run:${runId}:lease`);
    const reader = collector();
    followRedisRun({ redis: other, runId, afterId: 0, listener: reader.listener, onDeclaredLost: async () => {} });
    await reader.ended;
    log.append(delta('too late'));
    await vi.waitFor(() => expect(failures.map((error) => error.code)).toEqual(['producer_lost']));
    const entries = await redis.xrange(`sluice:run:${runId}:events`, '-', '+');
    expect(entries.map(([id]) => id)).toEqual(['0-1', '0-2']);
    expect(JSON.stringify(entries)).not.toContain('too late');
  });

  it('carries a stop from another instance: over pub/sub at once, and at the next lease renewal', async () => {
    const { runId, cancels } = await producer(redis, 400);
    const heard: string[] = [];
    const unlisten = listenForRunCancels(redis, (id) => heard.push(id));
    await sleep(100);
    const asked = performance.now();
    await requestRunCancel(other, runId);
    await vi.waitFor(() => expect(heard).toContain(runId), { timeout: 500, interval: 10 });
    expect(performance.now() - asked).toBeLessThan(500);
    await vi.waitFor(() => expect(cancels).toHaveBeenCalled(), { timeout: 1000 });
    unlisten();
  });
});

describe('a run log when Redis goes away mid-run', () => {
  let own: Awaited<ReturnType<typeof startOwnRedis>> = null;
  beforeAll(async () => {
    own = await startOwnRedis();
    if (!own) console.warn('[tests] redis-server is not installed: the test of losing Redis mid-run is skipped.');
  });
  afterAll(() => own?.stop());

  it('ends the run for its readers with stream_unavailable, never hangs, and works again once Redis is back', async ({ skip }) => {
    if (!own) return skip();
    const redis = await connectedRedis(own.url);
    const reader = await connectedRedis(own.url);
    try {
      const { runId, log, failures } = await producer(redis, 1000);
      const local = collector();
      const remote = collector();
      log.follow(0, local.listener);
      followRedisRun({ redis: reader, runId, afterId: 0, listener: remote.listener, onDeclaredLost: async () => {} });
      log.append({ type: 'chat_history', value: [] });
      await appendSlowly(log, 3, 5);
      await sleep(DELTA_FLUSH_MS * 2);
      await own.stop();
      await appendSlowly(log, 3, 5);
      await Promise.all([local.ended, remote.ended]);
      expect(failures.map((error) => error.code)).toEqual(['stream_unavailable']);
      expect(local.seen.at(-1)?.event).toMatchObject({ type: 'error', value: { code: 'stream_unavailable' } });
      expect(remote.seen.at(-1)?.event).toMatchObject({ type: 'error', value: { code: 'stream_unavailable' } });
      // What the local reader saw before the error is what Redis had: the three words written before it went.
      expect(textOf(local.seen)).toBe(wordsUpTo(3));

      await own.start();
      await vi.waitFor(() => expect(redis.status).toBe('ready'), { timeout: 10_000, interval: 100 });
      const again = await producer(redis, 1000);
      const next = collector();
      again.log.follow(0, next.listener);
      again.log.append(delta('back'));
      again.log.append(done);
      again.log.close();
      await next.ended;
      expect(ids(next.seen)).toEqual([1, 2]);
      expect(again.failures).toEqual([]);
    } finally {
      redis.disconnect();
      reader.disconnect();
    }
  });
});
