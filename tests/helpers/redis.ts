import { spawn, type ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { freePort } from './app-server';

/** The Redis to test against, when there is one: CI sets REDIS_URL (see .ci/run). */
export const REDIS_URL = process.env.REDIS_URL;

export function explainSkippedRedis(): void {
  if (!REDIS_URL) {
    console.warn(
      '[tests] REDIS_URL is not set: the tests of several instances sharing Redis are skipped. ' +
        'Set REDIS_URL=redis://host:6379 to run them (CI does).',
    );
  }
}

/** A client as the app makes one: commands fail at once while Redis is away instead of queueing. */
export function connectRedis(url: string): Redis {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
  // Failures reach the commands that fail; the connection's error events (a test stopping Redis) would only repeat them.
  redis.on('error', () => {});
  return redis;
}

export async function connectedRedis(url: string): Promise<Redis> {
  const redis = connectRedis(url);
  if (redis.status !== 'ready') await new Promise((resolve) => redis.once('ready', resolve));
  return redis;
}

/**
 * A `redis-server` of the test's own on a free port, to stop and start again (never the machine's own Redis).
 * Null when `redis-server` is not installed.
 */
export async function startOwnRedis(): Promise<{ url: string; stop(): Promise<void>; start(): Promise<void> } | null> {
  const port = await freePort();
  let child: ChildProcess | null = null;
  const start = async () => {
    const started = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = started;
    await new Promise<void>((resolve, reject) => {
      started.once('error', reject);
      started.stdout?.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('Ready to accept connections')) resolve();
      });
    });
  };
  try {
    await start();
  } catch {
    return null;
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    start,
    async stop() {
      const running = child;
      if (!running || running.exitCode !== null || running.signalCode !== null) return;
      await new Promise((resolve) => {
        running.once('exit', resolve);
        running.kill('SIGKILL');
      });
    },
  };
}
