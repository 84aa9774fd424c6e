import 'server-only';
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { RETAIN_AFTER_RUN_MS, RETAIN_WHILE_RUNNING_MS, runKeys } from '@/lib/stream/redis-keys';

/**
 * A run's producer holds a lease: a key with a TTL and a random token, renewed while the run goes on. The run's log
 * checks the token on every append (so a producer that lost its lease is fenced), and readers elsewhere declare a
 * producer lost once its lease lapses. Stops asked on any instance reach the producer through the stop channel at
 * once, and through the run's `cancel` key at its next renewal should the message be missed.
 */

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

type LeaseScripts = {
  sluiceRenew(...args: (string | number)[]): Promise<number>;
  sluiceRelease(...args: (string | number)[]): Promise<number>;
};

function leaseScripts(redis: Redis): LeaseScripts {
  if (!('sluiceRenew' in redis)) {
    // defineCommand runs them by SHA, loading each once per connection.
    redis.defineCommand('sluiceRenew', { numberOfKeys: 2, lua: RENEW });
    redis.defineCommand('sluiceRelease', { numberOfKeys: 3, lua: RELEASE });
  }
  return redis as unknown as LeaseScripts;
}

/** Every instance listens here for stop requests; the run's own `cancel` key is the fallback the lease renewal sees. */
export const CANCEL_CHANNEL = 'sluice:cancel';
/** Takes the run's lease before anything of the run is written, so no reader can find the run without a producer. */
export async function acquireRunLease(redis: Redis, runId: string, leaseMs: number): Promise<string> {
  const token = randomUUID();
  const taken = await redis.set(runKeys(runId).lease, token, 'PX', leaseMs, 'NX');
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
  const keys = runKeys(runId);
  return leaseScripts(redis).sluiceRenew(keys.lease, keys.cancel, token, leaseMs);
}

/** Gives a lease back that no log was made for (the run did not start after all). */
export async function releaseRunLease(redis: Redis, runId: string, token: string): Promise<void> {
  const keys = runKeys(runId);
  await leaseScripts(redis).sluiceRelease(keys.events, keys.lease, keys.cancel, token, RETAIN_AFTER_RUN_MS);
}

/** Asks the run's producer, on whichever instance, to stop: at once over pub/sub, at its next renewal otherwise. */
export async function requestRunCancel(redis: Redis, runId: string): Promise<void> {
  await redis.multi().set(runKeys(runId).cancel, '1', 'PX', RETAIN_WHILE_RUNNING_MS).publish(CANCEL_CHANNEL, runId).exec();
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
