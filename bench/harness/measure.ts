/**
 * One level of load against one system: the streams, what the client saw of them, and what the server spent.
 */
import type { NextServer } from '../../tests/helpers/app-server';
import type { StreamSource, StreamTiming } from './streams';

/** What a level reads of the server it loads: one process, or the sum of several instances'. */
export type WatchedServer = Pick<NextServer, 'residentMb' | 'cpuMs'>;

/** Several instances watched as one: their CPU and their memory added up. */
export function watchedTogether(servers: WatchedServer[]): WatchedServer {
  const sum = async (read: (server: WatchedServer) => Promise<number>) => (await Promise.all(servers.map(read))).reduce((a, b) => a + b, 0);
  return { residentMb: () => sum((server) => server.residentMb()), cpuMs: () => sum((server) => server.cpuMs()) };
}

export type LevelFigures = {
  /** Streams at once (1: one after another, `samples` times). */
  concurrency: number;
  samples: number;
  failed: number;
  /** What the first failures said, to find the cause. */
  failures: string[];
  /** The most streams answering at one moment (between their first and last token). */
  mostAnswering: number;
  firstTokenMs: { p50: number; p99: number };
  /** Time between one token's arrival and the next's, over every token of every stream. */
  gapMs: { p50: number; p99: number };
  tokens: number;
  /** Server CPU (user + system) for the level, per 1,000 tokens delivered; null for the floor (no server). */
  cpuMsPer1kTokens: number | null;
  peakRssMb: number | null;
  /**
   * After a burst: resident memory before it, and after it once the server has been quiet until it came back to
   * within 50 MB of that (or a minute passed), with how long that took.
   */
  quiet?: { rssBeforeMb: number; rssAfterMb: number; seconds: number };
  seconds: number;
  /**
   * Through Redis (several instances), per 1,000 tokens delivered: stream entries written (XADD) and round trips
   * that wrote (script calls: appends, lease renewals, releases).
   */
  redisPer1kTokens?: { entries: number; scriptCalls: number };
};

/** Commands a Redis server has run so far, by name (its own count: those run inside scripts included). */
export type RedisCommandCounter = () => Promise<Record<string, number>>;

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

function mostAnswering(timings: StreamTiming[]): number {
  const marks = timings
    .filter((t) => t.tokenTimes.length > 0)
    .flatMap((t) => [
      { at: t.tokenTimes[0]!, step: 1 },
      { at: t.tokenTimes.at(-1)!, step: -1 },
    ])
    .sort((a, b) => a.at - b.at || a.step - b.step);
  let answering = 0;
  let most = 0;
  for (const mark of marks) most = Math.max(most, (answering += mark.step));
  return most;
}

/** Samples the server's resident memory while `work` runs, and its CPU time around it. */
async function watchServer<T>(server: WatchedServer | undefined, work: () => Promise<T>) {
  if (!server) return { result: await work(), cpuMs: null, peakRssMb: null };
  let peak = await server.residentMb();
  const sampler = setInterval(() => {
    void server.residentMb().then((mb) => (peak = Math.max(peak, mb)), () => {});
  }, 100);
  const cpuBefore = await server.cpuMs();
  try {
    const result = await work();
    const cpuMs = (await server.cpuMs()) - cpuBefore;
    peak = Math.max(peak, await server.residentMb());
    return { result, cpuMs, peakRssMb: peak };
  } finally {
    clearInterval(sampler);
  }
}

export async function measureLevel(options: {
  source: StreamSource;
  server?: WatchedServer;
  prompt: string;
  expectedText: string;
  concurrency: number;
  /** At concurrency 1, how many streams one after another. */
  samples: number;
  /** For a system that shares runs through Redis. */
  redisCommands?: RedisCommandCounter;
  /** Afterwards, watch the server's memory come back down (see `LevelFigures.quiet`). */
  watchQuiet?: boolean;
}): Promise<LevelFigures> {
  const { source, server, prompt, expectedText, concurrency, redisCommands } = options;
  const rssBeforeMb = server ? await server.residentMb() : null;
  const samples = concurrency === 1 ? options.samples : concurrency;
  // Sessions and conversations are made before the clock and the CPU count start.
  const streams = await source.prepare(samples, prompt);
  const redisBefore = await redisCommands?.();
  const started = performance.now();
  const { result: timings, cpuMs, peakRssMb } = await watchServer(server, async () => {
    if (concurrency > 1) return Promise.all(streams.map((stream) => stream()));
    const timings: StreamTiming[] = [];
    for (const stream of streams) timings.push(await stream());
    return timings;
  });
  const seconds = (performance.now() - started) / 1000;
  const redisAfter = await redisCommands?.();
  const quiet = options.watchQuiet && server && rssBeforeMb !== null ? await watchQuiet(server, rssBeforeMb) : undefined;

  const failures = timings.flatMap((t) => {
    if (t.error) return [t.error];
    if (t.text !== expectedText) return [`wrong text: ${t.text.length} of ${expectedText.length} characters`];
    return [];
  });
  const tokens = timings.reduce((sum, t) => sum + t.tokenTimes.length, 0);
  const firstTokens = timings.filter((t) => t.tokenTimes.length > 0).map((t) => t.tokenTimes[0]! - t.start);
  const gaps = timings.flatMap((t) => t.tokenTimes.slice(1).map((at, i) => at - t.tokenTimes[i]!));
  return {
    concurrency,
    samples,
    failed: failures.length,
    failures: [...new Set(failures)].slice(0, 3),
    mostAnswering: mostAnswering(timings),
    firstTokenMs: { p50: percentile(firstTokens, 50), p99: percentile(firstTokens, 99) },
    gapMs: { p50: percentile(gaps, 50), p99: percentile(gaps, 99) },
    tokens,
    cpuMsPer1kTokens: cpuMs === null ? null : (cpuMs / Math.max(1, tokens)) * 1000,
    peakRssMb,
    ...(quiet ? { quiet } : {}),
    seconds,
    ...(redisBefore && redisAfter ? { redisPer1kTokens: redisCost(redisBefore, redisAfter, tokens) } : {}),
  };
}

function redisCost(before: Record<string, number>, after: Record<string, number>, tokens: number) {
  const ran = (name: string) => (after[name] ?? 0) - (before[name] ?? 0);
  const per1k = (n: number) => (n / Math.max(1, tokens)) * 1000;
  return { entries: per1k(ran('xadd')), scriptCalls: per1k(ran('evalsha') + ran('eval')) };
}

/** Memory a burst leaves behind: sampled each second of quiet, until within 50 MB of before or a minute passed. */
export const QUIET_LIMIT = { mb: 50, seconds: 60 };

async function watchQuiet(server: WatchedServer, rssBeforeMb: number): Promise<NonNullable<LevelFigures['quiet']>> {
  const started = performance.now();
  let rssAfterMb = await server.residentMb();
  while (rssAfterMb - rssBeforeMb > QUIET_LIMIT.mb && performance.now() - started < QUIET_LIMIT.seconds * 1000) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    rssAfterMb = await server.residentMb();
  }
  return { rssBeforeMb, rssAfterMb, seconds: (performance.now() - started) / 1000 };
}
