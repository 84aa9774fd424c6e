import 'server-only';
import type { Redis } from 'ioredis';
import type { StreamEvent } from '@/lib/contract';
import { AppError } from '@/lib/errors';
import { createMemoryEventLog, type RunEventLog } from '@/lib/stream/event-log';
import { RETAIN_WHILE_RUNNING_MS, runKeys } from '@/lib/stream/redis-keys';
import { leaseRenewalMs, releaseRunLease, renewRunLease } from '@/lib/stream/run-lease';

/**
 * A run's event log shared through Redis Streams, so that any instance can follow a run another one produces.
 *
 * - Entry ids are the event ids (`0-1`, `0-2`, ...): a reader resumes after its `Last-Event-ID` with no gap and no
 *   duplicate, whichever instance it reaches.
 * - The producer holds a lease (`run-lease.ts`); every append checks its token in the same script, so a producer that
 *   lost its lease (it stalled, and a reader declared it lost) can never append again: the token fences it.
 * - Readers on other instances follow the stream (`redis-run-reader.ts`).
 * - The producer's own readers (the POST that started the run) get each event once Redis has it, never before: what
 *   any reader saw is in the stream, so nothing a reader saw can be missing from what is stored after a crash.
 * - Deltas are written at most every `DELTA_FLUSH_MS` per run (any other event at once), one script call per batch.
 */

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

type Arg = string | number;
type Scripts = { sluiceAppend(...args: Arg[]): Promise<number> };

function scripts(redis: Redis): Scripts {
  if (!('sluiceAppend' in redis)) {
    // defineCommand runs them by SHA, loading each once per connection.
    redis.defineCommand('sluiceAppend', { numberOfKeys: 2, lua: APPEND });
  }
  return redis as unknown as Scripts;
}

export const lostError = () => new AppError('producer_lost');

/** Redis failed under a run: fenced means the lease was lost, anything else that Redis could not be reached. */
function toLogError(error: unknown): AppError {
  if (error instanceof Error && error.message.startsWith('FENCED')) return lostError();
  console.error('[sluice] redis run log', error);
  return new AppError('stream_unavailable');
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
  const keys = runKeys(runId);
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
      await releaseRunLease(redis, runId, token);
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
