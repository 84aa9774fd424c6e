import 'server-only';
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { StreamEventSchema, type StreamEvent } from '@/lib/contract';
import { AppError } from '@/lib/errors';
import { createMemoryEventLog, type LogListener, type RunEventLog } from '@/lib/stream/event-log';

/**
 * A run's event log shared through Redis Streams, so that any instance can follow a run another one produces.
 *
 * - Entry ids are the event ids (`0-1`, `0-2`, ...): a reader resumes after its `Last-Event-ID` with no gap and no
 *   duplicate, whichever instance it reaches.
 * - The producer holds a lease (a key with a TTL and a random token) and renews it; every append checks the token in
 *   the same script, so a producer that lost its lease (it stalled, and a reader declared it lost) can never append
 *   again: the token fences it.
 * - A reader that finds the lease gone and no end event appends one `producer_lost` error, atomically and so exactly
 *   once across all readers, and the one that did stores what the stream holds.
 * - The producer's own readers (the POST that started the run) get each event once Redis has it, never before: what
 *   any reader saw is in the stream, so nothing a reader saw can be missing from what is stored after a crash.
 * - Deltas are written at most every `DELTA_FLUSH_MS` per run (any other event at once), one script call per batch.
 */

const keysOf = (runId: string) => ({
  events: `sluice:run:${runId}:events`,
  lease: `sluice:run:${runId}:lease`,
  cancel: `sluice:run:${runId}:cancel`,
});

/** Every instance listens here for stop requests; the run's own `cancel` key is the fallback the lease renewal sees. */
export const CANCEL_CHANNEL = 'sluice:cancel';
/** Once a run has ended, its stream stays this long for readers coming back to it, then expires. */
export const RETAIN_AFTER_RUN_MS = 60_000;
/** A safety net: a stream expires this long after its last append even if nothing closes it. */
const RETAIN_WHILE_RUNNING_MS = 60 * 60_000;
/** Deltas reach Redis at most this often per run: 1,000 streams are not 1,000 writes per token. */
export const DELTA_FLUSH_MS = 50;
const MAX_BATCH = 256;

const isEnd = (event: StreamEvent) => event.type === 'done' || event.type === 'error';

/**
 * Deltas written together become one: one stream entry (and one event for readers) per batch of text rather than
 * per token, so Redis holds and readers parse a handful of entries a second per run.
 */
function joinDeltas(events: StreamEvent[]): StreamEvent[] {
  const joined: StreamEvent[] = [];
  for (const event of events) {
    const last = joined.at(-1);
    if (event.type === 'delta' && last?.type === 'delta') joined[joined.length - 1] = { type: 'delta', value: last.value + event.value };
    else joined.push(event);
  }
  return joined;
}

// KEYS: events, lease. ARGV: token, lease ms, retain ms, then (id, event json, end flag) for each event.
const APPEND = `
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return redis.error_reply('FENCED this producer no longer holds the run lease') end
for i = 4, #ARGV, 3 do
  if ARGV[i + 2] == '1' then
    redis.call('XADD', KEYS[1], '0-' .. ARGV[i], 'e', ARGV[i + 1], 'end', '1')
  else
    redis.call('XADD', KEYS[1], '0-' .. ARGV[i], 'e', ARGV[i + 1])
  end
end
redis.call('PEXPIRE', KEYS[2], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1`;

// KEYS: lease, cancel. ARGV: token, lease ms. -1: fenced; 1: a stop was asked for; 0: carry on.
const RENEW = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return redis.call('EXISTS', KEYS[2])`;

// KEYS: events, lease, cancel. ARGV: token, retain ms.
const RELEASE = `
if redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('DEL', KEYS[2]) end
redis.call('DEL', KEYS[3])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`;

// KEYS: events, lease. ARGV: the producer_lost event's json, retain ms. Returns its id, or 0 when the producer
// still holds its lease or the run has ended.
const DECLARE_LOST = `
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
local n = 0
if #last > 0 then
  if #last[1][2] > 2 then return 0 end
  n = tonumber(string.sub(last[1][1], 3))
end
redis.call('XADD', KEYS[1], '0-' .. (n + 1), 'e', ARGV[1], 'end', '1')
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return n + 1`;

type Arg = string | number;
type Scripts = {
  sluiceAppend(...args: Arg[]): Promise<number>;
  sluiceRenew(...args: Arg[]): Promise<number>;
  sluiceRelease(...args: Arg[]): Promise<number>;
  sluiceDeclareLost(...args: Arg[]): Promise<number>;
};

function scripts(redis: Redis): Scripts {
  if (!('sluiceAppend' in redis)) {
    // defineCommand runs them by SHA, loading each once per connection.
    redis.defineCommand('sluiceAppend', { numberOfKeys: 2, lua: APPEND });
    redis.defineCommand('sluiceRenew', { numberOfKeys: 2, lua: RENEW });
    redis.defineCommand('sluiceRelease', { numberOfKeys: 3, lua: RELEASE });
    redis.defineCommand('sluiceDeclareLost', { numberOfKeys: 2, lua: DECLARE_LOST });
  }
  return redis as unknown as Scripts;
}

const lostError = () => new AppError('producer_lost');

/** Redis failed under a run: fenced means the lease was lost, anything else that Redis could not be reached. */
function toLogError(error: unknown): AppError {
  if (error instanceof Error && error.message.startsWith('FENCED')) return lostError();
  console.error('[sluice] redis run log', error);
  return new AppError('stream_unavailable');
}

/** Takes the run's lease before anything of the run is written, so no reader can find the run without a producer. */
export async function acquireRunLease(redis: Redis, runId: string, leaseMs: number): Promise<string> {
  const token = randomUUID();
  const taken = await redis.set(keysOf(runId).lease, token, 'PX', leaseMs, 'NX');
  if (taken !== 'OK') throw new Error(`the lease of run ${runId} is already held`);
  return token;
}

/** A lease is renewed four times per lease period: one late renewal does not lose it. */
export const leaseRenewalMs = (leaseMs: number) => Math.max(50, Math.floor(leaseMs / 4));

/**
 * Renews a lease: -1 when this token no longer holds it, 1 when a stop was asked for, 0 otherwise. Between taking
 * a lease and making the run's log (its turn begun in the store, which can queue behind other runs) the lease is
 * kept with this.
 */
export async function renewRunLease(redis: Redis, runId: string, token: string, leaseMs: number): Promise<number> {
  const keys = keysOf(runId);
  return scripts(redis).sluiceRenew(keys.lease, keys.cancel, token, leaseMs);
}

/** Gives a lease back that no log was made for (the run did not start after all). */
export async function releaseRunLease(redis: Redis, runId: string, token: string): Promise<void> {
  const keys = keysOf(runId);
  await scripts(redis).sluiceRelease(keys.events, keys.lease, keys.cancel, token, RETAIN_AFTER_RUN_MS);
}

export type RedisRunLogOptions = {
  redis: Redis;
  runId: string;
  /** The lease's token from `acquireRunLease`. */
  token: string;
  leaseMs: number;
  /** The log can take no more events (Redis is unreachable, or the lease was lost): the run must stop. */
  onFailure(error: AppError): void;
  /** Another instance asked this run to stop (seen at a lease renewal, should the pub/sub message be missed). */
  onCancelRequested(): void;
};

/** The producer's side: a log whose events go to Redis, and to this process's readers once Redis has them. */
export function createRedisRunLog({ redis, runId, token, leaseMs, onFailure, onCancelRequested }: RedisRunLogOptions): RunEventLog {
  const keys = keysOf(runId);
  const run = scripts(redis);
  // What Redis has confirmed, for this process's readers.
  const confirmed = createMemoryEventLog();
  let nextId = 0;
  let pending: StreamEvent[] = [];
  // Writes go out without waiting for the one before: one connection delivers them, and Redis runs them, in order
  // (and an entry id out of order is refused), so a run's events never wait for a round trip per event.
  let inFlight = 0;
  let closing = false;
  let failed = false;
  let released = false;
  // Deltas are throttled against the last write that held deltas: the first delta after another event (the mode,
  // just before it) goes out at once, not a batch period later.
  let lastDeltaWriteAt = -Infinity;
  let timer: ReturnType<typeof setTimeout> | undefined;
  // Events appended in one go (the history with what waited for it) leave in one write.
  let flushQueued = false;
  const renewal = setInterval(() => void renew(), leaseRenewalMs(leaseMs));

  const fail = (error: AppError) => {
    if (failed || released) return;
    failed = true;
    clearInterval(renewal);
    clearTimeout(timer);
    pending = [];
    // This process's readers learn why the stream ends; readers elsewhere see the lease lapse and are told so.
    if (!confirmed.closed) {
      confirmed.append({ type: 'error', value: error.toInfo() });
      confirmed.close();
    }
    onFailure(error);
  };

  const release = async () => {
    if (released || failed) return;
    released = true;
    clearInterval(renewal);
    confirmed.close();
    try {
      await run.sluiceRelease(keys.events, keys.lease, keys.cancel, token, RETAIN_AFTER_RUN_MS);
    } catch (error) {
      // The run is over and stored; its stream still expires on its own.
      console.warn('[sluice] could not release a run lease', error);
    }
  };

  const flush = async () => {
    clearTimeout(timer);
    timer = undefined;
    if (failed || released) return;
    if (pending.length === 0) {
      if (closing && inFlight === 0) await release();
      return;
    }
    const batch = joinDeltas(pending.splice(0, MAX_BATCH)).map((event) => ({ id: ++nextId, event }));
    inFlight++;
    if (batch.some(({ event }) => event.type === 'delta')) lastDeltaWriteAt = performance.now();
    try {
      const fields = batch.flatMap(({ id, event }) => [id, JSON.stringify(event), isEnd(event) ? '1' : '0']);
      await run.sluiceAppend(keys.events, keys.lease, token, leaseMs, RETAIN_WHILE_RUNNING_MS, ...fields);
    } catch (error) {
      fail(toLogError(error));
      return;
    } finally {
      inFlight--;
    }
    // An earlier write failed while this one was on its way: readers were told why already.
    if (failed) return;
    for (const { event } of batch) confirmed.append(event);
    schedule();
  };

  function schedule() {
    if (failed || released || flushQueued || (pending.length === 0 && !closing)) return;
    // Any event but a delta (the end above all) leaves at once, taking the deltas before it along.
    const urgent = closing || pending.some((event) => event.type !== 'delta');
    const waitMs = urgent ? 0 : DELTA_FLUSH_MS - (performance.now() - lastDeltaWriteAt);
    if (waitMs > 0) {
      timer ??= setTimeout(() => void flush(), waitMs);
      return;
    }
    clearTimeout(timer);
    timer = undefined;
    flushQueued = true;
    queueMicrotask(() => {
      flushQueued = false;
      void flush();
    });
  }

  async function renew() {
    if (failed || released) return;
    try {
      const state = await renewRunLease(redis, runId, token, leaseMs);
      if (state === -1) fail(lostError());
      else if (state === 1) onCancelRequested();
    } catch (error) {
      fail(toLogError(error));
    }
  }

  return {
    append(event) {
      if (closing || failed) throw new Error('append to a closed event log');
      pending.push(event);
      schedule();
    },
    follow: (afterId, listener) => confirmed.follow(afterId, listener),
    close() {
      if (closing || failed) return;
      closing = true;
      schedule();
    },
    get closed() {
      return closing || failed;
    },
    get lastId() {
      return confirmed.lastId;
    },
  };
}

export type FollowRedisRunOptions = {
  redis: Redis;
  runId: string;
  afterId: number;
  listener: LogListener;
  /** How long one blocking read waits before the reader looks at the producer's lease. */
  blockMs?: number;
  /**
   * This reader declared the producer lost (exactly one reader does): store what the stream holds. The reader
   * delivers the `producer_lost` event after this settles, so whoever sees it finds the conversation free.
   */
  onDeclaredLost(events: StreamEvent[]): Promise<void>;
};

const parseEvent = (json: string | undefined): StreamEvent => StreamEventSchema.parse(JSON.parse(json ?? 'null'));

/**
 * Ends the run's stream with `producer_lost` if its producer no longer holds its lease and the run has not ended:
 * atomically, so of all the callers anywhere exactly one gets the events the stream holds (to store them); the
 * others, and any call while the producer lives or after the run ended, get null.
 */
export async function declareProducerLost(redis: Redis, runId: string): Promise<StreamEvent[] | null> {
  const keys = keysOf(runId);
  const lost = JSON.stringify({ type: 'error', value: lostError().toInfo() } satisfies StreamEvent);
  const declared = await scripts(redis).sluiceDeclareLost(keys.events, keys.lease, lost, RETAIN_AFTER_RUN_MS);
  if (declared === 0) return null;
  const entries = await redis.xrange(keys.events, '-', '+');
  return entries.map(([, fields]) => parseEvent(fields[1]));
}

/** A reader on any instance: replays the run's stream after `afterId`, then blocks on it for more until it ends. */
export function followRedisRun({ redis, runId, afterId, listener, blockMs = 250, onDeclaredLost }: FollowRedisRunOptions): () => void {
  const keys = keysOf(runId);
  // A blocking read holds its connection: each reader gets its own, closed with it. Its first read waits for it to
  // connect; should Redis be gone, it fails after one reconnection attempt rather than hanging.
  const reader = redis.duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: 1 });
  // Its failures reach the read loop as rejected reads; the connection's own error events would only repeat them.
  reader.on('error', () => {});
  let stopped = false;
  let lastId = afterId;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    reader.disconnect();
  };
  const end = () => {
    stop();
    listener.onClose();
  };

  const checkProducer = async () => {
    const events = await declareProducerLost(redis, runId);
    if (!events) return;
    try {
      await onDeclaredLost(events);
    } catch (error) {
      console.error('[sluice] could not store the run of a lost producer', error);
    }
  };

  void (async () => {
    try {
      while (!stopped) {
        const reply = await reader.xread('COUNT', 500, 'BLOCK', blockMs, 'STREAMS', keys.events, `0-${lastId}`);
        if (stopped) return;
        if (!reply) {
          await checkProducer();
          continue;
        }
        for (const [, entries] of reply) {
          for (const [id, fields] of entries) {
            lastId = Number(id.slice(2));
            listener.onEvent({ id: lastId, event: parseEvent(fields[1]) });
            if (fields.length > 2) return end();
          }
        }
      }
    } catch (error) {
      if (stopped) return;
      console.error('[sluice] reading a run from redis', error);
      listener.onEvent({ id: lastId + 1, event: { type: 'error', value: new AppError('stream_unavailable').toInfo() } });
      end();
    }
  })();
  return stop;
}

/** Asks the run's producer, on whichever instance, to stop: at once over pub/sub, at its next renewal otherwise. */
export async function requestRunCancel(redis: Redis, runId: string): Promise<void> {
  await redis.multi().set(keysOf(runId).cancel, '1', 'PX', RETAIN_WHILE_RUNNING_MS).publish(CANCEL_CHANNEL, runId).exec();
}

/** One subscription per process: `onCancel` gets the id of every run some instance was asked to stop. */
export function listenForRunCancels(redis: Redis, onCancel: (runId: string) => void): () => void {
  // Subscribes once connected, and again after every reconnection (ioredis resubscribes by itself).
  const subscriber = redis.duplicate({ enableOfflineQueue: true });
  subscriber.on('message', (_channel: string, runId: string) => onCancel(runId));
  // While Redis is away it reconnects on its own; a stop asked meanwhile still reaches the run at its next renewal.
  subscriber.on('error', () => {});
  void subscriber.subscribe(CANCEL_CHANNEL).catch((error: unknown) => console.error('[sluice] cancel subscription', error));
  return () => subscriber.disconnect();
}

/** Whether the run's producer still holds its lease. */
export async function producerAlive(redis: Redis, runId: string): Promise<boolean> {
  return (await redis.exists(keysOf(runId).lease)) === 1;
}
