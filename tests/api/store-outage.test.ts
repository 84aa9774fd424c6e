import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorBodySchema, HealthSchema } from '@/lib/contract';
import { readStreamEvents, type ReceivedEvent } from '@/lib/stream/read-sse';
import { startMockUpstream, type MockUpstream } from '../mock-upstream/server';
import { createClient, getConversation, newConversation, ofType, postPrompt, runPrompt, type ApiClient } from '../helpers/api-client';
import { startApp, type AppServer } from '../helpers/app-server';
import { startOwnPostgres, type OwnPostgres } from '../helpers/own-postgres';
import { mountSmallDisk, type SmallDisk } from '../helpers/small-disk';

const words = (count: number) => Array.from({ length: count }, (_, i) => `w${i}`).join(' ');
const ANSWER = words(60);
/** 60 words, 50 ms apart: three seconds of answer, long enough to stop the store in the middle. */
const LONG_PROMPT = `a long one? [slow:50][reply:${ANSWER}]`;

/** Reads a run in the background; `events` fills as they arrive, `ended` settles when the stream does. */
function follow(response: Response) {
  const events: ReceivedEvent[] = [];
  const ended = (async () => {
    for await (const received of readStreamEvents(response.body!)) events.push(received);
  })();
  const text = () => ofType(events, 'delta').map((event) => event.value).join('');
  return { events, ended, text };
}

/** Sends the long prompt in a new conversation and stops the store once its answer has begun to stream. */
async function stopStoreMidRun(api: ApiClient, store: OwnPostgres) {
  const id = await newConversation(api);
  const run = follow(await postPrompt(api, id, LONG_PROMPT));
  await expect.poll(() => ofType(run.events, 'delta').length).toBeGreaterThanOrEqual(3);
  await store.stop();
  return { id, run };
}

async function expectStoreUnavailable(response: Response) {
  expect(response.status).toBe(503);
  expect(response.headers.get('retry-after')).toBe('5');
  expect(ErrorBodySchema.parse(await response.json()).error.code).toBe('store_unavailable');
}

const health = async (api: ApiClient) => {
  const response = await api.fetch('/api/health');
  return { status: response.status, body: HealthSchema.parse(await response.json()) };
};

let pg: OwnPostgres | null = null;
let missing = '';
let mock: MockUpstream;

beforeAll(async () => {
  const started = await startOwnPostgres();
  if ('missing' in started) {
    missing = started.missing;
    console.warn(`[tests] ${missing}: the tests of PostgreSQL stopping mid-run are skipped.`);
    return;
  }
  pg = started;
  mock = await startMockUpstream();
});
afterAll(async () => {
  await mock?.close();
  await pg?.remove();
});

/** The app on the test's own PostgreSQL, retrying the end of a turn for `storeRetryMs`. */
function appOnOwnPostgres(storeRetryMs: number) {
  const started: { app?: AppServer; api?: ApiClient } = {};
  beforeAll(async () => {
    if (!pg) return;
    started.app = await startApp({
      OPENAI_BASE_URL: mock.baseURL,
      OPENAI_API_KEY: 'test-key',
      CHAT_MODEL: 'mock-chat',
      DATABASE_URL: pg.url,
      STORE_RETRY_MS: String(storeRetryMs),
    });
    started.api = createClient(started.app.url);
  });
  afterAll(() => started.app?.stop());
  return started;
}

describe('PostgreSQL stopped for a few seconds mid-run (a server of the test’s own)', () => {
  const started = appOnOwnPostgres(60_000);

  it('loses nothing: done comes once the answer is stored; meanwhile requests get 503 store_unavailable and health says so', async ({ skip }) => {
    if (!pg) return skip(missing);
    const api = started.api!;
    const { id, run } = await stopStoreMidRun(api, pg);

    // While it is away: requests that need it are refused with 503 and Retry-After, the owner's chat is not a 404.
    await expectStoreUnavailable(await api.fetch('/api/conversations', { method: 'POST' }));
    await expectStoreUnavailable(await api.fetch(`/api/conversations/${id}`));
    expect(await health(api)).toEqual({ status: 503, body: { status: 'unavailable', store: 'unavailable' } });
    const page = await api.fetch(`/c/${id}`);
    expect([page.status, page.headers.get('retry-after')]).toEqual([503, '5']);
    expect(await page.text()).toContain('can’t reach its database');

    // The whole answer streams, but is not done before it is stored.
    await expect.poll(run.text, { timeout: 10_000 }).toBe(ANSWER);
    expect(ofType(run.events, 'done')).toHaveLength(0);

    await pg.start();
    await run.ended;
    expect(run.events.at(-1)?.event).toMatchObject({ type: 'done', value: { content: ANSWER, status: 'complete' } });
    expect((await getConversation(api, id)).messages.map((m) => [m.role, m.status, m.content])).toEqual([
      ['user', 'complete', LONG_PROMPT],
      ['assistant', 'complete', ANSWER],
    ]);
    expect((await health(api)).status).toBe(200);
    expect((await api.fetch(`/c/${id}`)).status).toBe(200);
    const next = await runPrompt(api, id, 'and now? [reply:back]');
    expect(ofType(next.events, 'done')[0]?.value.content).toBe('back');
  });
});

describe('PostgreSQL away for longer than the end of a turn is retried', () => {
  const started = appOnOwnPostgres(1000);

  it('ends the stream with store_unavailable, holds the answer and stores it as interrupted once the store is back, then takes prompts', async ({ skip }) => {
    if (!pg) return skip(missing);
    const api = started.api!;
    const { id, run } = await stopStoreMidRun(api, pg);
    await run.ended;
    expect(run.text()).toBe(ANSWER);
    expect(run.events.at(-1)?.event).toMatchObject({ type: 'error', value: { code: 'store_unavailable' } });
    expect(ofType(run.events, 'done')).toHaveLength(0);

    // A prompt meanwhile is refused, not half-started.
    await expectStoreUnavailable(await postPrompt(api, id, 'still there? [reply:yes]'));

    await pg.start();
    // A prompt as soon as the store is back stores the held answer first, which closes its run: no 409.
    const next = await runPrompt(api, id, 'still there? [reply:yes]');
    expect(ofType(next.events, 'done')[0]?.value.content).toBe('yes');
    expect((await getConversation(api, id)).messages.map((m) => [m.role, m.status, m.content])).toEqual([
      ['user', 'complete', LONG_PROMPT],
      ['assistant', 'interrupted', ANSWER],
      ['user', 'complete', 'still there? [reply:yes]'],
      ['assistant', 'complete', 'yes'],
    ]);

    // Without a prompt, a held answer is stored as soon as the store takes it.
    const { id: other, run: unattended } = await stopStoreMidRun(api, pg);
    await unattended.ended;
    expect(unattended.events.at(-1)?.event).toMatchObject({ type: 'error', value: { code: 'store_unavailable' } });
    await pg.start();
    await expect
      .poll(async () => (await getConversation(api, other)).messages.map((m) => [m.role, m.status, m.content]), { timeout: 10_000, interval: 250 })
      .toEqual([
        ['user', 'complete', LONG_PROMPT],
        ['assistant', 'interrupted', ANSWER],
      ]);
  });
});

describe('PGlite’s disk filling up mid-run (a small filesystem of the test’s own)', () => {
  let disk: SmallDisk | null = null;
  let reason = '';
  let app: AppServer | undefined;
  let api: ApiClient;
  let ownMock: MockUpstream;

  beforeAll(async () => {
    const mounted = mountSmallDisk(256);
    if ('missing' in mounted) {
      reason = mounted.missing;
      console.warn(`[tests] ${reason}: the test of PGlite's disk filling up is skipped.`);
      return;
    }
    disk = mounted;
    ownMock = await startMockUpstream();
    app = await startApp({
      OPENAI_BASE_URL: ownMock.baseURL,
      OPENAI_API_KEY: 'test-key',
      CHAT_MODEL: 'mock-chat',
      DATA_DIR: path.join(disk.dir, 'data'),
      STORE_RETRY_MS: '60000',
    });
    api = createClient(app.url);
  });
  afterAll(async () => {
    await app?.stop();
    await ownMock?.close();
    disk?.remove();
  });

  it('holds the answer until space is freed, then stores it whole; health says unavailable meanwhile', async ({ skip }) => {
    if (!disk) return skip(reason);
    const id = await newConversation(api);
    expect(ofType((await runPrompt(api, id, 'hello? [reply:hi]')).events, 'done')).toHaveLength(1);
    // An answer that does not fit in the pages the store has already: 300 words of random hex, ~15 KB.
    const answer = Array.from({ length: 300 }, () => randomBytes(24).toString('hex')).join(' ');
    const prompt = `a big one? [slow:10][reply:${answer}]`;
    const run = follow(await postPrompt(api, id, prompt));
    await expect.poll(() => ofType(run.events, 'delta').length).toBeGreaterThanOrEqual(3);
    disk.fill();

    await expect.poll(run.text, { timeout: 15_000 }).toBe(answer);
    await expect.poll(async () => (await health(api)).body, { timeout: 10_000 }).toEqual({ status: 'unavailable', store: 'unavailable' });
    expect(ofType(run.events, 'done')).toHaveLength(0);

    disk.free();
    await run.ended;
    expect(run.events.at(-1)?.event).toMatchObject({ type: 'done', value: { content: answer, status: 'complete' } });
    expect((await getConversation(api, id)).messages.map((m) => [m.role, m.status, m.content])).toEqual([
      ['user', 'complete', 'hello? [reply:hi]'],
      ['assistant', 'complete', 'hi'],
      ['user', 'complete', prompt],
      ['assistant', 'complete', answer],
    ]);
    await expect.poll(async () => (await health(api)).status).toBe(200);
    const next = await runPrompt(api, id, 'and now? [reply:back]');
    expect(ofType(next.events, 'done')[0]?.value.content).toBe('back');
  });
});
