import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConversationListSchema, ConversationSummarySchema, ErrorBodySchema } from '@/lib/contract';
import { startApp, type AppServer } from '../helpers/app-server';
import { createClient, newConversation, ofType, runPrompt, type ApiClient } from '../helpers/api-client';
import { explainSkippedPostgres, POSTGRES_URL, storeEnv } from '../helpers/postgres';
import { explainSkippedRedis, REDIS_URL } from '../helpers/redis';
import { startMockUpstream, type MockUpstream } from '../mock-upstream/server';

explainSkippedPostgres();
explainSkippedRedis();
// PostgreSQL as it is deployed: with Redis for several instances when there is one.
const stores = ['PGlite', ...(POSTGRES_URL ? [REDIS_URL ? 'PostgreSQL and Redis' : 'PostgreSQL'] : [])];

const listOf = async (client: ApiClient) => ConversationListSchema.parse(await (await client.fetch('/api/conversations')).json()).conversations;
const titleOf = async (client: ApiClient, id: string) => (await listOf(client)).find((c) => c.id === id)?.title;
const rename = (client: ApiClient, id: string, body: unknown, contentType = 'application/json') =>
  client.fetch(`/api/conversations/${id}`, { method: 'PATCH', headers: { 'Content-Type': contentType }, body: typeof body === 'string' ? body : JSON.stringify(body) });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function expectError(response: Response, status: number, code: string) {
  expect(response.status).toBe(status);
  const body = ErrorBodySchema.parse(await response.json());
  expect(body.error.code).toBe(code);
  return body.error.message;
}

describe.each(stores)('titles written by the model, and renaming, on %s', (storeName) => {
  let app: AppServer;
  let mock: MockUpstream;
  let api: ApiClient;
  let dropDatabase: (() => Promise<void>) | undefined;
  const titleRequests = () => mock.requests.filter((r) => r.kind === 'title');

  beforeAll(async () => {
    mock = await startMockUpstream();
    const store = await storeEnv(storeName);
    dropDatabase = store.drop;
    app = await startApp({
      OPENAI_BASE_URL: mock.baseURL,
      OPENAI_API_KEY: 'test',
      CHAT_MODEL: 'mock-chat',
      ROUTER_MODEL: 'mock-router',
      TITLE_MODEL: 'mock-titler',
      SAFETY_CHECK: 'moderation',
      UPSTREAM_MAX_RETRIES: '0',
      ...store.env,
      ...(storeName === 'PostgreSQL and Redis' ? { REDIS_URL: REDIS_URL! } : {}),
    });
    api = createClient(app.url);
  });
  afterAll(async () => {
    await app?.stop();
    await mock?.close();
    await dropDatabase?.();
  });

  it('titles a new conversation from its first prompt with TITLE_MODEL: a title event before done, then stored and listed', async () => {
    const id = await newConversation(api);
    const { events } = await runPrompt(api, id, 'How do rivers form? [title:"Rivers, and how they form."]');
    const types = events.map((e) => e.event.type);
    expect(ofType(events, 'title')).toEqual([{ type: 'title', value: { title: 'Rivers, and how they form' } }]);
    const titleAt = types.indexOf('title');
    expect(titleAt).toBeLessThan(types.indexOf('done'));
    // written once the answer is under way (its store write would otherwise delay the first token), though the
    // model had it ready long before
    expect(titleAt).toBeGreaterThan(types.indexOf('delta'));
    // numbered like every other event: the next id, so a reader resuming after it misses nothing
    expect(events[titleAt]!.id).toBe(events[titleAt - 1]!.id + 1);
    expect(types.at(-1)).toBe('done');
    expect(await titleOf(api, id)).toBe('Rivers, and how they form');
    const request = titleRequests().at(-1)!;
    expect(request.body.model).toBe('mock-titler');

    // the next prompt keeps it, and asks for no other
    const asked = titleRequests().length;
    const next = await runPrompt(api, id, 'And lakes?');
    expect(ofType(next.events, 'title')).toEqual([]);
    expect(titleRequests()).toHaveLength(asked);
    expect(await titleOf(api, id)).toBe('Rivers, and how they form');
  });

  it('never holds the answer up: a title ready after done is stored then, without an event', async () => {
    const id = await newConversation(api);
    const { events } = await runPrompt(api, id, 'Salty sea? [slowtitle:1500] [title:Salt in the sea]');
    expect(events.at(-1)?.event.type).toBe('done');
    expect(ofType(events, 'title')).toEqual([]);
    expect(await titleOf(api, id)).toBe('Salty sea? [slowtitle:1500] [title:Salt in the sea]');
    await expect.poll(() => titleOf(api, id), { timeout: 5_000 }).toBe('Salt in the sea');
  });

  it('keeps the first-prompt title when the title model fails, or the safety check refuses the prompt', async () => {
    const failed = await newConversation(api);
    const { events } = await runPrompt(api, failed, 'What is a delta? [title:fail]');
    expect(events.at(-1)?.event.type).toBe('done');
    expect(ofType(events, 'title')).toEqual([]);
    const refused = await newConversation(api);
    const unsafe = await runPrompt(api, refused, 'Something to refuse [flag] [title:A fine title]');
    expect(ofType(unsafe.events, 'mode')).toEqual([{ type: 'mode', value: 'unsafe_response' }]);
    expect(ofType(unsafe.events, 'title')).toEqual([]);
    await sleep(300);
    expect(await titleOf(api, failed)).toBe('What is a delta? [title:fail]');
    expect(await titleOf(api, refused)).toBe('Something to refuse [flag] [title:A fine title]');
  });

  it('renames: 200 with the list entry, trimmed; a title written later does not replace it', async () => {
    const id = await newConversation(api);
    const { events } = await runPrompt(api, id, 'How do glaciers move? [slowtitle:1000] [title:Glaciers]');
    expect(ofType(events, 'title')).toEqual([]);
    const response = await rename(api, id, { title: '  My glacier notes \n' });
    expect(response.status).toBe(200);
    const entry = ConversationSummarySchema.strict().parse(await response.json());
    expect(entry).toMatchObject({ id, title: 'My glacier notes' });
    expect((await listOf(api)).find((c) => c.id === id)).toEqual(entry);
    // the model's title arrives after the rename, and is dropped
    await expect.poll(() => titleRequests().filter((r) => r.finished && JSON.stringify(r.body).includes('glaciers')).length, { timeout: 5_000 }).toBe(1);
    await sleep(300);
    expect(await titleOf(api, id)).toBe('My glacier notes');
    // 120 characters is the most, counted after trimming; any script
    const longest = 'ü'.repeat(119) + '川';
    expect((await rename(api, id, { title: ` ${longest} ` })).status).toBe(200);
    expect(await titleOf(api, id)).toBe(longest);
  });

  it('refuses a bad rename with 400 invalid_body and changes nothing; another session’s conversation is 404', async () => {
    const id = await newConversation(api);
    await runPrompt(api, id, 'What is an estuary? [title:Estuaries]');
    for (const body of [{ title: '   ' }, { title: 'x'.repeat(121) }, {}, { title: 42 }, { title: 'a\u0000b' }, { title: 'lone \ud800' }, [], 'null']) {
      expect(await expectError(await rename(api, id, body), 400, 'invalid_body')).toMatch(/title|object/);
    }
    await expectError(await rename(api, id, '{"title": "unfinished', 'application/json'), 400, 'invalid_json');
    await expectError(await rename(api, id, 'title=x', 'application/x-www-form-urlencoded'), 415, 'unsupported_media_type');
    expect(await titleOf(api, id)).toBe('Estuaries');

    const stranger = createClient(app.url);
    await expectError(await rename(stranger, id, { title: 'Mine now' }), 404, 'not_found');
    await expectError(await rename(api, 'not-a-conversation', { title: 'Anything' }), 404, 'not_found');
    await expectError(await rename(api, crypto.randomUUID(), { title: 'Anything' }), 404, 'not_found');
    expect(await titleOf(api, id)).toBe('Estuaries');
  });
});
