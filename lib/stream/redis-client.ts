import 'server-only';
import type { Redis } from 'ioredis';
import { getEnv } from '@/lib/env';
import { AppError } from '@/lib/errors';

const globalForRedis = globalThis as typeof globalThis & { __sluiceRedis?: Promise<Redis> };

/** How long a request waits for Redis to connect before it is told the stream store is unavailable. */
const CONNECT_WAIT_MS = 2000;

/**
 * The process's Redis client when REDIS_URL is set (several instances share runs through it); null without it,
 * where one process keeps runs in memory. Commands fail at once while Redis is away (no offline queue, one retry)
 * so a run ends cleanly instead of hanging; the client reconnects by itself, and the next prompt works again.
 */
export function getRedis(): Promise<Redis> | null {
  const { REDIS_URL } = getEnv();
  if (!REDIS_URL) return null;
  // Loaded only with REDIS_URL: one process never pays for the client.
  globalForRedis.__sluiceRedis ??= import('ioredis').then(({ Redis }) => {
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
    // One line per outage, not one per reconnection attempt.
    let reported = false;
    redis.on('error', (error: Error) => {
      if (reported) return;
      reported = true;
      console.error(JSON.stringify({ level: 'error', event: 'redis_unavailable', message: error.message }));
    });
    redis.on('ready', () => (reported = false));
    return redis;
  });
  return globalForRedis.__sluiceRedis;
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
