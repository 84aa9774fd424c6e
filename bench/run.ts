/**
 * What Sluice adds to a model's stream, side by side with the floor (the SDK calling the upstream directly), the
 * Vercel AI SDK (`streamText` in a Next.js route) and a bare Next.js pipe, against one mock upstream in one run.
 *
 *   npm run bench               full run: 1, 100 and 1,000 concurrent streams of 200 tokens (about 10 minutes)
 *   npm run bench -- --quick    1 and 100 streams of 40 tokens (under 2 minutes)
 *   npm run bench -- --browser-only | --no-browser
 *   npm run bench -- --browser-only --profile   also a CPU profile of the page (bench/results/browser.cpuprofile)
 *
 * It builds the app and the peer (bench/peer) when they have no build yet; after changing the app, run
 * `npm run build` first. Results: bench/results/latest.{json,md,svg} (quick.* for --quick, browser.* for --browser-only, systems.* with BENCH_SYSTEMS). Options (environment): BENCH_TOKENS,
 * BENCH_LEVELS (e.g. "1,100"), BENCH_SAMPLES (streams one after another at level 1), BENCH_TOKEN_GAP_MS,
 * BENCH_DELAY_MS (the safety check's and the mode decision's), BENCH_BROWSER_TOKENS (the chat page's answer),
 * BENCH_MOCK_PORT (and the next port up), BENCH_DATABASE_URL (a PostgreSQL
 * server to make a scratch database on; default postgres://postgres@127.0.0.1:5432/postgres, skipped when absent),
 * BENCH_REDIS_URL (the Redis the PostgreSQL + Redis row shares runs through; default redis://127.0.0.1:6379),
 * BENCH_SYSTEMS (only these rows, e.g. "ours-postgres,ours-redis,ours-two", or "search"; the floors are always measured).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { NextServer } from '../tests/helpers/app-server';
import { createScratchDatabase } from '../tests/helpers/postgres';
import { measureChatPage } from './harness/browser';
import { measureLevel, watchedTogether, type LevelFigures, type RedisCommandCounter, type WatchedServer } from './harness/measure';
import { connectRedisCounter } from './harness/redis';
import { ensurePeerBuilt, ensureSluiceBuilt, startMockProcess, startPeer, startSluice, type Pace } from './harness/processes';
import { toMarkdown, toSvg, type BenchResult, type SystemId, type SystemResult } from './harness/report';
import { floorSource, peerSource, pipeSource, sluiceSource, type StreamSource } from './harness/streams';
import { pacedReply, startMockUpstream } from '../tests/mock-upstream/server';
import { measureStops } from './harness/stops';
import { HISTORY, measureSearch, scratchDataDir, seedHistory, type SearchFigures } from './harness/search';

const quick = process.argv.includes('--quick');
/** Only the chat page in the browser (`-- --browser-only`), or everything but it (`-- --no-browser`). */
const browserOnly = process.argv.includes('--browser-only');
const withBrowser = !process.argv.includes('--no-browser');
/** Record the page's CPU profile while it streams, and name the functions that ran in its long tasks. */
const profile = process.argv.includes('--profile');
const numberFrom = (name: string, fallback: number) => (process.env[name] ? Number(process.env[name]) : fallback);
const pace: Pace = {
  tokens: numberFrom('BENCH_TOKENS', quick ? 40 : 200),
  tokenGapMs: numberFrom('BENCH_TOKEN_GAP_MS', 20),
  safetyDelayMs: numberFrom('BENCH_DELAY_MS', 300),
  modeDelayMs: numberFrom('BENCH_DELAY_MS', 300),
};
const levels = (process.env.BENCH_LEVELS ?? (quick ? '1,100' : '1,100,1000')).split(',').map(Number);
const samples = numberFrom('BENCH_SAMPLES', quick ? 5 : 10);
const browserTokens = numberFrom('BENCH_BROWSER_TOKENS', quick ? 2_000 : 20_000);
const databaseUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const redisUrl = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
/** Which systems to measure, e.g. "ours-postgres,ours-redis,stops" (the floors always are); all when unset. */
const onlySystems = process.env.BENCH_SYSTEMS?.split(',');
const wanted = (id: SystemId | 'stops' | 'search') => !onlySystems || onlySystems.includes(id);
const PROMPT = 'How do rivers form?';
const expectedText = pacedReply(pace.tokens);

const log = (line: string) => console.log(`[bench] ${line}`);

async function measureSystem(options: {
  id: SystemId;
  label: string;
  floor: SystemId | null;
  source: StreamSource;
  server?: WatchedServer;
  /** Instances behind `source` (the streams take turns among them): each gets a first chat. */
  instances?: number;
  levels: number[];
  redisCommands?: RedisCommandCounter;
}): Promise<SystemResult> {
  const { id, label, floor, source, server, redisCommands } = options;
  const rssAfterStartMb = server ? await server.residentMb() : null;
  // One chat first: it loads the routes and the store, and is the "one chat" of the memory figure.
  for (const warmUp of await source.prepare(options.instances ?? 1, PROMPT)) {
    const first = await warmUp();
    if (first.error || first.text !== expectedText) throw new Error(`${label}: the first stream failed: ${first.error ?? 'wrong text'}`);
  }
  const rssAfterOneChatMb = server ? await server.residentMb() : null;
  const measured: LevelFigures[] = [];
  for (const concurrency of options.levels) {
    // What a burst leaves in memory is a target for Sluice's own rows.
    const watchQuiet = id.startsWith('ours') && concurrency >= 1000;
    const figures = await measureLevel({ source, server, prompt: PROMPT, expectedText, concurrency, samples, redisCommands, watchQuiet });
    log(
      `${label} @ ${concurrency}: first token p50 ${figures.firstTokenMs.p50.toFixed(1)} ms, gap p99 ${figures.gapMs.p99.toFixed(1)} ms, ` +
        `${figures.failed} failed, ${figures.seconds.toFixed(1)} s${figures.failures.length ? ` (${figures.failures.join('; ')})` : ''}` +
        (figures.quiet ? `; ${figures.quiet.rssBeforeMb.toFixed(0)} MB before, ${figures.quiet.rssAfterMb.toFixed(0)} MB after ${figures.quiet.seconds.toFixed(0)} s of quiet` : ''),
    );
    measured.push(figures);
  }
  return { id, label, floor, rssAfterStartMb, rssAfterOneChatMb, levels: measured };
}

async function withServer<T>(start: () => Promise<NextServer>, measure: (server: NextServer) => Promise<T>): Promise<T> {
  const server = await start();
  try {
    return await measure(server);
  } finally {
    await server.stop();
  }
}

const skippedRow = (id: SystemId, label: string, why: string): SystemResult => {
  log(`${label}: skipped, ${why}`);
  return { id, label, floor: 'floor-agent', rssAfterStartMb: null, rssAfterOneChatMb: null, levels: [], skipped: why };
};

async function postgresReachable(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/** The search benchmark on PGlite (`databaseUrl` null) or on a scratch PostgreSQL database. */
async function measureSearchOn(baseURL: string, databaseUrl: string | null): Promise<SearchFigures> {
  const store = databaseUrl ? null : await scratchDataDir();
  const label = databaseUrl ? 'PostgreSQL' : 'PGlite';
  try {
    log(`search on ${label}: seeding ${HISTORY.conversations.toLocaleString('en')} conversations of ${HISTORY.messagesEach} messages ...`);
    const seeding = Date.now();
    const token = await seedHistory(databaseUrl ? { databaseUrl, dataDir: '' } : { dataDir: store!.dir }, HISTORY.conversations, HISTORY.messagesEach);
    const seedSeconds = (Date.now() - seeding) / 1000;
    const figures = await withServer(
      () => startSluice(baseURL, databaseUrl ? { DATABASE_URL: databaseUrl } : { DATA_DIR: store!.dir }),
      (server) => measureSearch(server, token, quick ? 5 : 20),
    );
    log(`search on ${label}: p50 ${figures.p50Ms.toFixed(1)} ms, p99 ${figures.p99Ms.toFixed(1)} ms over ${figures.searches} searches`);
    return { conversations: HISTORY.conversations, messages: HISTORY.conversations * HISTORY.messagesEach, seedSeconds, ...figures };
  } finally {
    await store?.remove();
  }
}

async function measureServers(systems: SystemResult[], search: NonNullable<BenchResult['search']>): Promise<BenchResult['stops']> {
  let stops: BenchResult['stops'];
  const mock = await startMockProcess(numberFrom('BENCH_MOCK_PORT', 3299), pace);
  try {
    log(`pace: ${pace.tokens} tokens ${pace.tokenGapMs} ms apart, pre-steps ${pace.safetyDelayMs} ms; levels ${levels.join(', ')}`);
    systems.push(await measureSystem({ id: 'floor-agent', label: 'floor: checks + answer', floor: null, source: floorSource(mock.baseURL, 'agent'), levels }));
    systems.push(await measureSystem({ id: 'floor-answer', label: 'floor: answer alone', floor: null, source: floorSource(mock.baseURL, 'answer'), levels }));

    /** A system served by its own fresh process, measured and stopped (unless BENCH_SYSTEMS leaves it out). */
    const served = async (start: () => Promise<NextServer>, sourceOf: (url: string) => StreamSource, system: Omit<Parameters<typeof measureSystem>[0], 'source' | 'server'>) => {
      if (!wanted(system.id)) return;
      systems.push(await withServer(start, (server) => measureSystem({ ...system, source: sourceOf(server.url), server })));
    };
    /** The same on a scratch PostgreSQL database of its own. */
    const onScratch = async (id: SystemId | 'stops' | 'search', measure: (databaseUrl: string) => Promise<void>) => {
      if (!wanted(id)) return;
      const scratch = await createScratchDatabase(databaseUrl);
      try {
        await measure(scratch.url);
      } finally {
        await scratch.drop();
      }
    };
    const ours = { floor: 'floor-agent', levels } as const;

    await served(() => startSluice(mock.baseURL), sluiceSource, { id: 'ours', label: 'Sluice (PGlite)', ...ours });
    await served(() => startSluice(mock.baseURL, { PRE_STEPS: 'sequential' }), sluiceSource, {
      id: 'ours-sequential',
      label: 'Sluice, pre-steps in sequence',
      ...ours,
      levels: [1],
    });
    const postgres = (await postgresReachable(databaseUrl)) ? null : `no PostgreSQL at ${databaseUrl} (set BENCH_DATABASE_URL)`;
    const redis = postgres ? null : await connectRedisCounter(redisUrl);
    try {
      if (postgres) systems.push(skippedRow('ours-postgres', 'Sluice (PostgreSQL)', postgres));
      await onScratch('ours-postgres', (url) =>
        served(() => startSluice(mock.baseURL, { DATABASE_URL: url }), sluiceSource, { id: 'ours-postgres', label: 'Sluice (PostgreSQL)', ...ours }),
      );
      if (!redis) {
        const why = postgres ?? `no Redis at ${redisUrl} (set BENCH_REDIS_URL)`;
        systems.push(skippedRow('ours-redis', 'Sluice (PostgreSQL + Redis)', why), skippedRow('ours-two', 'Sluice, two instances (PostgreSQL + Redis)', why));
      }
      else {
        await onScratch('ours-redis', (url) =>
          served(() => startSluice(mock.baseURL, { DATABASE_URL: url, REDIS_URL: redisUrl }), sluiceSource, {
            id: 'ours-redis',
            label: 'Sluice (PostgreSQL + Redis)',
            ...ours,
            redisCommands: redis.commands,
          }),
        );
        // The same load dealt out between two instances sharing the store and Redis, as behind a load balancer.
        await onScratch('ours-two', async (url) => {
          const env = { DATABASE_URL: url, REDIS_URL: redisUrl };
          const [a, b] = await Promise.all([startSluice(mock.baseURL, env), startSluice(mock.baseURL, env)]);
          try {
            systems.push(
              await measureSystem({
                id: 'ours-two',
                label: 'Sluice, two instances (PostgreSQL + Redis)',
                floor: 'floor-agent',
                source: sluiceSource(a.url, b.url),
                server: watchedTogether([a, b]),
                instances: 2,
                levels: levels.filter((concurrency) => concurrency > 1),
                redisCommands: redis.commands,
              }),
            );
          } finally {
            await Promise.all([a.stop(), b.stop()]);
          }
        });
        await onScratch('stops', async (url) => {
          stops = await measureStopsOnTwoInstances(url);
        });
      }
    } finally {
      redis?.close();
    }
    if (wanted('search')) {
      search.pglite = await measureSearchOn(mock.baseURL, null);
      if (postgres) log(`search on PostgreSQL: skipped, ${postgres}`);
      else await onScratch('search', async (url) => void (search.postgres = await measureSearchOn(mock.baseURL, url)));
    }
    await served(() => startPeer(mock.baseURL), peerSource, { id: 'peer', label: 'AI SDK streamText', floor: 'floor-answer', levels });
    await served(() => startPeer(mock.baseURL), pipeSource, { id: 'pipe', label: 'Next.js bare pipe', floor: 'floor-answer', levels });
  } finally {
    await mock.close();
  }
  return stops;
}

/** Stop pressed on the instance producing a run and on another one, with two instances on PostgreSQL + Redis. */
async function measureStopsOnTwoInstances(databaseUrl: string): Promise<BenchResult['stops']> {
  // In-process, to see the moment each request is closed; the same pace as the rest.
  const mock = await startMockUpstream({ splitWrites: false, pace: { replyTokens: pace.tokens, tokenGapMs: pace.tokenGapMs } });
  const env = { DATABASE_URL: databaseUrl, REDIS_URL: redisUrl };
  const [a, b] = await Promise.all([startSluice(mock.baseURL, env), startSluice(mock.baseURL, env)]);
  try {
    const count = quick ? 5 : 20;
    const sameInstance = await measureStops({ mock, producer: a.url, stopper: a.url, count });
    const otherInstance = await measureStops({ mock, producer: a.url, stopper: b.url, count });
    log(`stop reaches the model: same instance p50 ${sameInstance.p50Ms} ms, other instance p50 ${otherInstance.p50Ms} ms (max ${otherInstance.maxMs})`);
    return { sameInstance, otherInstance };
  } finally {
    await Promise.all([a.stop(), b.stop()]);
    await mock.close();
  }
}

/** The browser: a long Markdown answer, fast (2 ms a token), into the chat page. */
const resultsDir = path.resolve(import.meta.dirname, 'results');

async function measureBrowser() {
  await mkdir(resultsDir, { recursive: true });
  log(`chat page: a ${browserTokens}-token Markdown answer in Chromium ...`);
  const markdownMock = await startMockProcess(numberFrom('BENCH_MOCK_PORT', 3299) + 1, {
    tokens: browserTokens,
    tokenGapMs: 2,
    safetyDelayMs: 0,
    modeDelayMs: 0,
    replyKind: 'markdown',
  });
  let browser: BenchResult['browser'];
  try {
    browser = await withServer(
      () => startSluice(markdownMock.baseURL),
      (server) => measureChatPage(server.url, browserTokens, {
          screenshot: path.join(resultsDir, 'browser.png'),
          ...(profile ? { profile: path.join(resultsDir, 'browser.cpuprofile') } : {}),
        }),
    );
    log(`chat page, traced: longest task ${browser.longestTaskMs.toFixed(1)} ms, ${browser.tasksOver50Ms} over 50 ms, ${browser.seconds.toFixed(1)} s`);
    if (browser.untraced) log(`chat page, untraced: longest task ${browser.untraced.longestTaskMs.toFixed(1)} ms, ${browser.untraced.tasksOver50Ms} over 50 ms`);
  } finally {
    await markdownMock.close();
  }
  return browser;
}

async function main() {
  ensureSluiceBuilt(log);
  ensurePeerBuilt(log);
  const systems: SystemResult[] = [];
  const started = Date.now();
  const search: NonNullable<BenchResult['search']> = {};
  const stops = browserOnly ? undefined : await measureServers(systems, search);
  const browser = withBrowser ? await measureBrowser() : undefined;

  const cpus = os.cpus();
  const result: BenchResult = {
    date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
    machine: `${cpus.length} × ${cpus[0]?.model.trim() ?? 'CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}`,
    quick,
    pace,
    systems,
    browser,
    stops,
    ...(search.pglite ? { search } : {}),
  };
  const dir = resultsDir;
  await mkdir(dir, { recursive: true });
  const markdown = toMarkdown(result);
  // A partial run does not overwrite the full run's results.
  const name = browserOnly ? 'browser' : quick ? 'quick' : onlySystems ? 'systems' : 'latest';
  await writeFile(path.join(dir, `${name}.json`), `${JSON.stringify(result, null, 2)}\n`);
  await writeFile(path.join(dir, `${name}.md`), `${markdown}\n`);
  await writeFile(path.join(dir, `${name}.svg`), toSvg(result));
  console.log(`\n${markdown}\n`);
  log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s; results in bench/results/${name}.{json,md,svg}`);
}

await main();
