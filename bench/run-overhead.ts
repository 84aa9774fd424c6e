/**
 * What Sluice adds to a model's stream, measured against the same upstream calls made directly with the SDK.
 * Run by hand after a build (it is not part of `npm test`):
 *
 *   npm run build && npm run bench
 *
 * Options (environment): BENCH_ROUNDS (sequential rounds, default 40), BENCH_STREAMS (concurrent streams,
 * default 100), BENCH_TOKENS (tokens per concurrent answer, default 40), BENCH_REPEATS (concurrency runs, default 3: figures are their medians, failures their sum),
 * BENCH_DATABASE_URL (measure on PostgreSQL instead of the embedded store).
 *
 * 1. Time to first token, one request at a time: the direct path is the router call, then the streamed answer
 *    (what the agent does at the least); the app's is POST .../messages to the first `delta` event.
 * 2. Concurrency: BENCH_STREAMS prompts sent at once, each streaming BENCH_TOKENS tokens 20 ms apart, through Sluice and
 *    (as the floor) straight from the SDK. Reports failures, how many were answering at the same moment,
 *    first-token percentiles, and the gaps between deltas: what Sluice adds is its p99 gap over the floor's.
 * 3. The server's resident memory after its first start (a new data directory) plus one chat, and after a restart.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import OpenAI from 'openai';
import { readStreamEvents } from '@/lib/stream/read-sse';
import { startApp, type AppServer } from '../tests/helpers/app-server';
import { createClient, newConversation, postPrompt, type ApiClient } from '../tests/helpers/api-client';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 40);
const WARMUP = 5;
const STREAMS = Number(process.env.BENCH_STREAMS ?? 100);
/** The concurrency figures swing from run to run on a small machine: each is the median of this many runs. */
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
const UPSTREAM_GAP_MS = 20;
const TOKENS = Number(process.env.BENCH_TOKENS ?? 40);

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
};
const ms = (n: number) => `${n.toFixed(1)} ms`;

async function directFirstToken(client: OpenAI, prompt: string): Promise<number> {
  const started = performance.now();
  await client.chat.completions.create({
    model: 'mock-router',
    messages: [{ role: 'user', content: prompt }],
    temperature: 0,
    response_format: { type: 'json_object' },
  });
  const stream = await client.chat.completions.create({
    model: 'mock-chat',
    messages: [{ role: 'user', content: prompt }],
    stream: true,
  });
  let first = NaN;
  for await (const chunk of stream) {
    if (Number.isNaN(first) && chunk.choices[0]?.delta?.content) first = performance.now() - started;
  }
  return first;
}

type StreamTiming = { start: number; deltas: number[]; ok: boolean };

async function directStream(client: OpenAI, prompt: string): Promise<StreamTiming> {
  const start = performance.now();
  const deltas: number[] = [];
  try {
    await client.chat.completions.create({ model: 'mock-router', messages: [{ role: 'user', content: prompt }] });
    const stream = await client.chat.completions.create({ model: 'mock-chat', messages: [{ role: 'user', content: prompt }], stream: true });
    for await (const chunk of stream) if (chunk.choices[0]?.delta?.content) deltas.push(performance.now());
    return { start, deltas, ok: true };
  } catch {
    return { start, deltas, ok: false };
  }
}

async function appStream(visitor: ApiClient, id: string, prompt: string): Promise<StreamTiming> {
  const start = performance.now();
  const deltas: number[] = [];
  let ok = false;
  try {
    const response = await postPrompt(visitor, id, prompt);
    if (response.status !== 200 || !response.body) return { start, deltas, ok };
    for await (const { event } of readStreamEvents(response.body)) {
      if (event.type === 'delta') deltas.push(performance.now());
      if (event.type === 'done') ok = true;
    }
  } catch {
    ok = false;
  }
  return { start, deltas, ok };
}

async function oneChat(app: AppServer) {
  const visitor = createClient(app.url);
  await appStream(visitor, await newConversation(visitor), 'What is a heron?');
}

async function firstTokenRounds(app: AppServer, client: OpenAI) {
  const prompt = 'How do rivers form? [slow:5]';
  const direct: number[] = [];
  const viaApp: number[] = [];
  for (let round = 0; round < WARMUP + ROUNDS; round++) {
    // A visitor per round, as many people would be: one session's quota is not the subject here.
    const visitor = createClient(app.url);
    const id = await newConversation(visitor);
    const d = await directFirstToken(client, prompt);
    const a = await appStream(visitor, id, prompt);
    if (round < WARMUP) continue;
    direct.push(d);
    viaApp.push((a.deltas[0] ?? NaN) - a.start);
  }
  return { direct, viaApp };
}

function summarise(timings: StreamTiming[]) {
  const failures = timings.filter((t) => !t.ok || t.deltas.length !== TOKENS).length;
  const firstTokens = timings.map((t) => (t.deltas[0] ?? NaN) - t.start);
  const gaps = timings.flatMap((t) => t.deltas.slice(1).map((at, i) => at - t.deltas[i]!));
  // The most streams answering at one moment: between their first and their last delta.
  const marks = timings
    .filter((t) => t.deltas.length > 0)
    .flatMap((t) => [
      { at: t.deltas[0]!, step: 1 },
      { at: t.deltas.at(-1)!, step: -1 },
    ])
    .sort((a, b) => a.at - b.at || a.step - b.step);
  let answering = 0;
  let mostAnswering = 0;
  for (const mark of marks) mostAnswering = Math.max(mostAnswering, (answering += mark.step));
  return { failures, firstTokens, gaps, mostAnswering };
}

type ConcurrencyFigures = {
  failures: number;
  mostAnswering: number;
  firstTokenP50: number;
  firstTokenP99: number;
  gapP50: number;
  gapP99: number;
};

function figures(summary: ReturnType<typeof summarise>): ConcurrencyFigures {
  return {
    failures: summary.failures,
    mostAnswering: summary.mostAnswering,
    firstTokenP50: percentile(summary.firstTokens, 50),
    firstTokenP99: percentile(summary.firstTokens, 99),
    gapP50: percentile(summary.gaps, 50),
    gapP99: percentile(summary.gaps, 99),
  };
}

const concurrentPrompt = () => {
  const words = Array.from({ length: TOKENS }, (_, i) => `w${i}`).join(' ');
  return `Tell me a story? [slow:${UPSTREAM_GAP_MS}][reply:${words}]`;
};

async function concurrentStreams(app: AppServer) {
  const visitors = Array.from({ length: STREAMS }, () => createClient(app.url));
  const ids = await Promise.all(visitors.map((visitor) => newConversation(visitor)));
  return summarise(await Promise.all(ids.map((id, n) => appStream(visitors[n]!, id, concurrentPrompt()))));
}

async function concurrentDirectStreams(client: OpenAI) {
  return summarise(await Promise.all(Array.from({ length: STREAMS }, () => directStream(client, concurrentPrompt()))));
}

/** The mock runs in a process of its own, so its work is not counted against either path. */
async function startMockProcess(port: number) {
  const root = path.resolve(import.meta.dirname, '..');
  const child = spawn(process.execPath, ['node_modules/vite-node/vite-node.mjs', 'tests/mock-upstream/main.ts'], {
    cwd: root,
    env: { ...process.env, MOCK_UPSTREAM_PORT: String(port), MOCK_SPLIT_WRITES: '0' },
    stdio: 'ignore',
  });
  const baseURL = `http://127.0.0.1:${port}/v1`;
  for (let tries = 0; tries < 100; tries++) {
    const up = await fetch(`http://127.0.0.1:${port}/__mock/health`).then((r) => r.ok, () => false);
    if (up) return { baseURL, close: async () => void child.kill('SIGTERM') };
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  child.kill('SIGKILL');
  throw new Error('the mock upstream did not start');
}

async function main() {
  const mock = await startMockProcess(Number(process.env.BENCH_MOCK_PORT ?? 3299));
  const client = new OpenAI({ baseURL: mock.baseURL, apiKey: 'bench', maxRetries: 0 });
  const env = {
    OPENAI_BASE_URL: mock.baseURL,
    OPENAI_API_KEY: 'bench',
    CHAT_MODEL: 'mock-chat',
    ROUTER_MODEL: 'mock-router',
    ...(process.env.BENCH_DATABASE_URL ? { DATABASE_URL: process.env.BENCH_DATABASE_URL } : {}),
  };
  const store = process.env.BENCH_DATABASE_URL ? 'PostgreSQL' : 'PGlite';
  const app = await startApp(env);
  try {
    const afterFirstStart = await app.residentMb();
    await oneChat(app);
    const afterFirstChat = await app.residentMb();

    const { direct, viaApp } = await firstTokenRounds(app, client);
    const added = viaApp.map((v, i) => v - direct[i]!);
    const runs: { floor: ConcurrencyFigures; sluice: ConcurrencyFigures }[] = [];
    for (let repeat = 0; repeat < REPEATS; repeat++) {
      runs.push({ floor: figures(await concurrentDirectStreams(client)), sluice: figures(await concurrentStreams(app)) });
    }
    const median = (pick: (run: (typeof runs)[number]) => number) => percentile(runs.map(pick), 50);

    await app.restart();
    const afterRestart = await app.residentMb();
    await oneChat(app);
    const afterRestartChat = await app.residentMb();

    console.log(`\nSluice run overhead (${store} store, mock upstream, ${ROUNDS} rounds, ${STREAMS} concurrent streams of ${TOKENS} tokens)\n`);
    console.log('| measure | value |');
    console.log('| --- | --- |');
    console.log(`| first token, direct SDK calls, p50 | ${ms(percentile(direct, 50))} |`);
    console.log(`| first token, through Sluice, p50 | ${ms(percentile(viaApp, 50))} |`);
    console.log(`| added time to first token, p50 / p90 | ${ms(percentile(added, 50))} / ${ms(percentile(added, 90))} |`);
    const row = (label: string, floor: string, sluice: string) => console.log(`| ${STREAMS} concurrent streams: ${label} | ${floor} | ${sluice} |`);
    const pair = (a: number, b: number) => `${ms(a)} / ${ms(b)}`;
    console.log(`\n| measure (median of ${REPEATS} runs) | direct SDK calls (floor) | through Sluice |`);
    console.log('| --- | --- | --- |');
    row('failures (all runs)', String(runs.reduce((n, r) => n + r.floor.failures, 0)), String(runs.reduce((n, r) => n + r.sluice.failures, 0)));
    row('most answering at once', String(median((r) => r.floor.mostAnswering)), String(median((r) => r.sluice.mostAnswering)));
    row(
      'first token p50 / p99',
      pair(median((r) => r.floor.firstTokenP50), median((r) => r.floor.firstTokenP99)),
      pair(median((r) => r.sluice.firstTokenP50), median((r) => r.sluice.firstTokenP99)),
    );
    row(
      `gap between deltas p50 / p99 (upstream: ${UPSTREAM_GAP_MS} ms)`,
      pair(median((r) => r.floor.gapP50), median((r) => r.floor.gapP99)),
      pair(median((r) => r.sluice.gapP50), median((r) => r.sluice.gapP99)),
    );
    console.log(`\nadded p99 gap between deltas (Sluice's p99 over the floor's): ${ms(median((r) => r.sluice.gapP99 - r.floor.gapP99))}\n`);
    console.log('| measure | value |');
    console.log('| --- | --- |');
    console.log(`| resident memory after first start + one chat | ${afterFirstStart.toFixed(0)} MB → ${afterFirstChat.toFixed(0)} MB |`);
    console.log(`| resident memory after restart + one chat | ${afterRestart.toFixed(0)} MB → ${afterRestartChat.toFixed(0)} MB |`);
  } finally {
    await app.stop();
    await mock.close();
  }
}

await main();
