import 'server-only';
import type { Redis } from 'ioredis';
import { StreamEventSchema, type StreamEvent } from '@/lib/contract';
import { AppError } from '@/lib/errors';
import type { LogListener } from '@/lib/stream/event-log';
import { RETAIN_AFTER_RUN_MS, runKeys } from '@/lib/stream/redis-keys';
import { lostError } from '@/lib/stream/redis-run-log';

/**
 * Readers of a run's Redis stream, on any instance. A reader that finds the producer's lease gone and no end event
 * appends one `producer_lost` error, atomically and so exactly once across all readers, and the one that did
 * stores what the stream holds.
 */

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

function declareLostScript(redis: Redis): { sluiceDeclareLost(...args: (string | number)[]): Promise<number> } {
  if (!('sluiceDeclareLost' in redis)) redis.defineCommand('sluiceDeclareLost', { numberOfKeys: 2, lua: DECLARE_LOST });
  return redis as unknown as { sluiceDeclareLost(...args: (string | number)[]): Promise<number> };
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
  const keys = runKeys(runId);
  const lost = JSON.stringify({ type: 'error', value: lostError().toInfo() } satisfies StreamEvent);
  const declared = await declareLostScript(redis).sluiceDeclareLost(keys.events, keys.lease, lost, RETAIN_AFTER_RUN_MS);
  if (declared === 0) return null;
  const entries = await redis.xrange(keys.events, '-', '+');
  return entries.map(([, fields]) => parseEvent(fields[1]));
}

/** A reader on any instance: replays the run's stream after `afterId`, then blocks on it for more until it ends. */
export function followRedisRun({ redis, runId, afterId, listener, blockMs = 250, onDeclaredLost }: FollowRedisRunOptions): () => void {
  const keys = runKeys(runId);
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

