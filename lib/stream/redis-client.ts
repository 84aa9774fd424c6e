import 'server-only';
import type { Redis } from 'ioredis';
import { AppError } from '@/lib/errors';

/** How long a request waits for Redis to connect before it is told the stream store is unavailable. */
const CONNECT_WAIT_MS = 2000;

/**
 * A Redis client for runs shared between instances (made once per process, with REDIS_URL). Commands fail at once
 * while Redis is away (no offline queue, one retry) so a run ends cleanly instead of hanging; the client reconnects
 * by itself, and the next prompt works again.
 */
export async function connectRedis(url: string): Promise<Redis> {
  // Loaded only with REDIS_URL: one process never pays for the client.
  const { Redis } = await import('ioredis');
  const redis = new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
  // One line per outage, not one per reconnection attempt.
  let reported = false;
  redis.on('error', (error: Error) => {
    if (reported) return;
    reported = true;
    console.error(JSON.stringify({ level: 'error', event: 'redis_unavailable', message: error.message }));
  });
  redis.on('ready', () => (reported = false));
  return redis;
}

/** Waits for the client to be connected; 503 `stream_unavailable` when it is not within a moment. */
export async function whenReady(redis: Redis): Promise<Redis> {
  if (redis.status === 'ready') return redis;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      redis.off('ready', ready);
      reject(new AppError('stream_unavailable'));
    }, CONNECT_WAIT_MS);
    const ready = () => {
      clearTimeout(timer);
      resolve();
    };
    redis.once('ready', ready);
  });
  return redis;
}
