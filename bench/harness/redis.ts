/**
 * The Redis a bench row shares its runs through, asked how many commands it has run (INFO commandstats counts
 * those a script runs too), so that a level's cost to Redis can be read.
 */
import { Redis } from 'ioredis';
import type { RedisCommandCounter } from './measure';

/** Null when nothing answers at `url`. */
export async function connectRedisCounter(url: string): Promise<{ commands: RedisCommandCounter; close(): void } | null> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 2000, retryStrategy: () => null });
  redis.on('error', () => {});
  try {
    await redis.connect();
  } catch {
    redis.disconnect();
    return null;
  }
  return {
    async commands() {
      const counts: Record<string, number> = {};
      for (const [, name, calls] of (await redis.info('commandstats')).matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
        counts[name!] = Number(calls);
      }
      return counts;
    },
    close: () => redis.disconnect(),
  };
}
