import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConversationListSchema, ErrorBodySchema, SearchResultsSchema } from '@/lib/contract';
import { startApp, type AppServer } from '../helpers/app-server';
import { createClient, newConversation, runPrompt, type ApiClient } from '../helpers/api-client';
import { explainSkippedPostgres, POSTGRES_URL, storeEnv } from '../helpers/postgres';

explainSkippedPostgres();
const stores = ['PGlite', ...(POSTGRES_URL ? ['PostgreSQL'] : [])];

describe.each(stores)('searching conversations, on %s', (storeName) => {
  let app: AppServer;
  let api: ApiClient;
  let dropDatabase: (() => Promise<void>) | undefined;
  const ids: Record<string, string> = {};

  /** `q` as a browser would send it, or `raw` exactly as given (to send what no browser encodes). */
  const searchRaw = (client: ApiClient, raw: string) => client.fetch(`/api/conversations?q=${raw}`);
  const search = async (q: string, client = api) => {
    const response = await searchRaw(client, encodeURIComponent(q));
    expect(response.status).toBe(200);
    return SearchResultsSchema.parse(await response.json()).conversations;
  };
  const keysOf = (hits: { id: string }[]) => hits.map((hit) => Object.entries(ids).find(([, id]) => id === hit.id)?.[0] ?? 'unknown');

  beforeAll(async () => {
    const store = await storeEnv(storeName);
    dropDatabase = store.drop;
    app = await startApp({ DEMO_TOKEN_DELAY_MS: '0', ...store.env });
    api = createClient(app.url);
    for (const [key, prompt] of [
      ['rivers', 'How do rivers form?'],
      ['tides', 'Why are there two tides every day?'],
      ['poem', 'Write a poem about a river delta'],
    ] as const) {
      ids[key] = await newConversation(api);
      await runPrompt(api, ids[key], prompt);
    }
  });
  afterAll(async () => {
    await app?.stop();
    await dropDatabase?.();
  });

  it('finds by stem, case and the start of a word being typed; every word must match', async () => {
    expect(keysOf(await search('RIVER'))).toEqual(expect.arrayContaining(['rivers', 'poem']));
    expect(keysOf(await search('river'))).toHaveLength(2);
    expect(keysOf(await search('rive'))).toHaveLength(2);
    expect(keysOf(await search('tide'))).toEqual(['tides']);
    expect(keysOf(await search('rivers form'))).toEqual(['rivers']);
    expect(keysOf(await search('rivers tides'))).toEqual([]);
    // the demo model's answer is searched too: it names the demo model
    expect(keysOf(await search('demo model'))).toHaveLength(3);
  });

  it('puts title matches first and gives snippets with the matches’ offsets into their text, no HTML', async () => {
    const hits = await search('delta');
    expect(keysOf(hits)).toEqual(['poem']);
    const [hit] = hits;
    expect(hit!.title).toBe('Poem about a river delta');
    expect(hit!.snippet.highlights.length).toBeGreaterThan(0);
    for (const [start, end] of hit!.snippet.highlights) expect(hit!.snippet.text.slice(start, end).toLowerCase()).toBe('delta');
    expect(JSON.stringify(hits)).not.toMatch(/<b>|<\/b>|\\u0001|\\u0002/);
  });

  it('never finds another session’s conversations', async () => {
    const stranger = createClient(app.url);
    expect(await search('river', stranger)).toEqual([]);
    const theirs = await newConversation(stranger);
    await runPrompt(stranger, theirs, 'Rivers of my own?');
    expect(keysOf(await search('river'))).toHaveLength(2);
    expect((await search('river', stranger)).map((hit) => hit.id)).toEqual([theirs]);
  });

  it('takes any query: odd syntax, NUL, invalid UTF-8, other scripts, 2,000 characters (400 past that)', async () => {
    const raws = ["'", '%22', '%25', '_', '%5C', '%26%7C!()%3A*', '%00', '%FF%FE', '%ED%A0%80', '%E6%B2%B3%E6%B5%81', '%F0%9F%8C%8A', 'a%20%3C-%3E%20b', 'moon%3A*', '%', '%%41', encodeURIComponent('x'.repeat(2000))];
    for (const raw of raws) {
      const response = await searchRaw(api, raw);
      expect(response.status, raw).toBe(200);
      expect(SearchResultsSchema.safeParse(await response.json()).success, raw).toBe(true);
    }
    const tooLong = await searchRaw(api, encodeURIComponent('x'.repeat(2001)));
    expect(tooLong.status).toBe(400);
    expect(ErrorBodySchema.parse(await tooLong.json()).error.code).toBe('invalid_query');
    // still serving, everything still there
    expect(keysOf(await search('river'))).toHaveLength(2);
  });

  it('answers a blank query with the plain list', async () => {
    const response = await searchRaw(api, '%20%20');
    const list = ConversationListSchema.strict().parse(await response.json());
    expect(list.conversations.length).toBeGreaterThanOrEqual(3);
    expect(list.conversations[0]).not.toHaveProperty('snippet');
  });
});
