import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConversationListSchema, CreatedConversationSchema, ErrorBodySchema, SharedConversationSchema, ShareSchema } from '@/lib/contract';
import { startApp, type AppServer } from '../helpers/app-server';
import { createClient, getConversation, newConversation, ofType, runPrompt, type ApiClient } from '../helpers/api-client';
import { createScratchDatabase, explainSkippedPostgres, POSTGRES_URL, storeEnv } from '../helpers/postgres';
import { explainSkippedRedis, REDIS_URL } from '../helpers/redis';

explainSkippedPostgres();
explainSkippedRedis();
const stores = ['PGlite', ...(POSTGRES_URL ? ['PostgreSQL'] : [])];

const share = (client: ApiClient, id: string, method: 'POST' | 'DELETE' = 'POST') => client.fetch(`/api/conversations/${id}/share`, { method });
const tokenOf = (url: string) => new URL(url).pathname.split('/').at(-1)!;
const errorCode = async (response: Response) => ErrorBodySchema.parse(await response.json()).error.code;

describe.each(stores)('sharing a conversation by link, on %s', (storeName) => {
  let app: AppServer;
  let owner: ApiClient;
  let stranger: ApiClient;
  let dropDatabase: (() => Promise<void>) | undefined;
  let id: string;

  beforeAll(async () => {
    const store = await storeEnv(storeName);
    dropDatabase = store.drop;
    app = await startApp({ DEMO_TOKEN_DELAY_MS: '0', ...store.env });
    owner = createClient(app.url);
    stranger = createClient(app.url);
    id = await newConversation(owner);
    await runPrompt(owner, id, 'Write a poem about the tide');
    await runPrompt(owner, id, 'Now write a function that adds two numbers');
    const other = await newConversation(owner);
    await runPrompt(owner, other, 'A private question nobody else may read?');
  });
  afterAll(async () => {
    await app?.stop();
    await dropDatabase?.();
  });

  it('makes one unguessable link on the request’s origin: 201, then the same link with 200', async () => {
    const first = await share(owner, id);
    expect(first.status).toBe(201);
    const { url } = ShareSchema.parse(await first.json());
    expect(url).toMatch(new RegExp(`^${app.url}/s/[A-Za-z0-9_-]{32}$`));
    const again = await share(owner, id);
    expect(again.status).toBe(200);
    expect(ShareSchema.parse(await again.json()).url).toBe(url);
    // another conversation gets another link
    const second = await newConversation(owner);
    const other = ShareSchema.parse(await (await share(owner, second)).json()).url;
    expect(other).not.toBe(url);
    await share(owner, second, 'DELETE');
  });

  it('shows anyone with the link the title and messages as they are now: no runs, no trace, no lineage, nothing else of the owner’s', async () => {
    const { url } = ShareSchema.parse(await (await share(owner, id)).json());
    const token = tokenOf(url);
    const conversation = await getConversation(owner, id);
    for (const reader of [stranger, { fetch: (path: string) => fetch(`${app.url}${path}`) }]) {
      const response = await reader.fetch(`/api/shared/${token}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('x-robots-tag')).toBe('noindex');
      const shared = SharedConversationSchema.strict().parse(await response.json());
      expect(shared.title).toBe(conversation.title);
      expect(shared.messages.map((m) => m.content)).toEqual(conversation.messages.map((m) => m.content));
      for (const message of shared.messages) expect(message).not.toHaveProperty('runId');
    }

    const page = await fetch(`${app.url}/s/${token}`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain(`<title>${conversation.title} · Sluice</title>`);
    expect(html).toMatch(/<meta name="robots" content="noindex, nofollow"/);
    expect(html).toContain('No model hums behind this screen');
    expect(html).toContain('Continue this chat');
    for (const hidden of ['A private question', 'textarea', 'Trace', 'Watch the machine', 'Regenerate', ...conversation.messages.map((m) => m.runId!)]) {
      expect(html).not.toContain(hidden);
    }
  });

  it('continues a shared chat as the visitor’s own copy, with no link back; the original stays as it was', async () => {
    const token = tokenOf(ShareSchema.parse(await (await share(owner, id)).json()).url);
    const before = await getConversation(owner, id);
    const response = await stranger.fetch(`/api/shared/${token}/continue`, { method: 'POST' });
    expect(response.status).toBe(201);
    const { id: copyId } = CreatedConversationSchema.parse(await response.json());
    expect(copyId).not.toBe(id);
    const copy = await getConversation(stranger, copyId);
    expect(copy.title).toBe(before.title);
    expect(copy.messages.map((m) => [m.role, m.content])).toEqual(before.messages.map((m) => [m.role, m.content]));
    expect(copy.parent).toBeUndefined();
    expect(copy.messages.some((m) => before.messages.some((b) => b.id === m.id) || m.runId)).toBe(false);
    const list = ConversationListSchema.parse(await (await stranger.fetch('/api/conversations')).json()).conversations;
    expect(list.map((c) => c.id)).toContain(copyId);
    expect(list.map((c) => c.id)).not.toContain(id);

    // the copy goes on with the whole history
    const { events } = await runPrompt(stranger, copyId, 'And a haiku about it?');
    expect(ofType(events, 'chat_history')[0]!.value.map((m) => m.content)).toEqual(before.messages.map((m) => m.content));
    expect(ofType(events, 'done')).toHaveLength(1);
    expect(await getConversation(owner, id)).toEqual(before);
    expect((await owner.fetch(`/api/conversations/${copyId}`)).status).toBe(404);
  });

  it('is the owner’s alone to make or stop; stopping kills the link at once (404), page and API', async () => {
    const token = tokenOf(ShareSchema.parse(await (await share(owner, id)).json()).url);
    expect((await share(stranger, id)).status).toBe(404);
    expect((await share(stranger, id, 'DELETE')).status).toBe(404);
    expect((await stranger.fetch(`/api/shared/${token}`)).status).toBe(200);

    expect((await share(owner, id, 'DELETE')).status).toBe(204);
    const dead = await stranger.fetch(`/api/shared/${token}`);
    expect(dead.status).toBe(404);
    expect(await errorCode(dead)).toBe('not_found');
    expect((await fetch(`${app.url}/s/${token}`)).status).toBe(404);
    expect((await stranger.fetch(`/api/shared/${token}/continue`, { method: 'POST' })).status).toBe(404);
    // stopping again is no error; sharing again makes a new link
    expect((await share(owner, id, 'DELETE')).status).toBe(204);
    const renewed = ShareSchema.parse(await (await share(owner, id)).json()).url;
    expect(tokenOf(renewed)).not.toBe(token);
  });

  it('answers a malformed or unknown link with 404', async () => {
    for (const token of ['short', 'x'.repeat(32), '%00', "'; drop table shares; --".padEnd(32, 'x')]) {
      expect((await stranger.fetch(`/api/shared/${encodeURIComponent(token)}`)).status).toBe(404);
      expect((await stranger.fetch(`/api/shared/${encodeURIComponent(token)}/continue`, { method: 'POST' })).status).toBe(404);
      expect((await fetch(`${app.url}/s/${encodeURIComponent(token)}`)).status).toBe(404);
    }
    expect((await share(owner, crypto.randomUUID())).status).toBe(404);
  });
});

describe('a link on APP_URL, and stopped on one instance, dead on the other (PostgreSQL + Redis)', () => {
  let a: AppServer;
  let b: AppServer;
  let dropDatabase: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    if (!POSTGRES_URL || !REDIS_URL) return;
    const scratch = await createScratchDatabase(POSTGRES_URL);
    dropDatabase = scratch.drop;
    const env = { DEMO_TOKEN_DELAY_MS: '0', DATABASE_URL: scratch.url, REDIS_URL, APP_URL: 'https://chat.example.test' };
    [a, b] = await Promise.all([startApp(env), startApp(env)]);
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await dropDatabase?.();
  });

  it.skipIf(!POSTGRES_URL || !REDIS_URL)('serves the link from every instance until it is stopped on any', async () => {
    const owner = createClient(a.url);
    const id = await newConversation(owner);
    await runPrompt(owner, id, 'How do tides work?');
    const { url } = ShareSchema.parse(await (await share(owner, id)).json());
    expect(url).toMatch(/^https:\/\/chat\.example\.test\/s\/[A-Za-z0-9_-]{32}$/);
    const token = tokenOf(url);
    expect((await fetch(`${b.url}/api/shared/${token}`)).status).toBe(200);
    expect((await share(createClient(b.url, owner.cookie.split('=')[1]), id, 'DELETE')).status).toBe(204);
    expect((await fetch(`${a.url}/api/shared/${token}`)).status).toBe(404);
    expect((await fetch(`${b.url}/s/${token}`)).status).toBe(404);
  });
});
