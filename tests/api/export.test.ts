import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConversationListSchema, CreatedConversationSchema, ErrorBodySchema, ExportDocumentSchema, RunListSchema, type ExportDocument } from '@/lib/contract';
import { readStreamEvents } from '@/lib/stream/read-sse';
import { startApp, type AppServer } from '../helpers/app-server';
import { createClient, getConversation, newConversation, postPrompt, readRun, runPrompt, type ApiClient } from '../helpers/api-client';
import { explainSkippedPostgres, POSTGRES_URL, storeEnv } from '../helpers/postgres';
import { upstreamEnv } from '../helpers/upstream-app';
import { startMockUpstream, type MockUpstream } from '../mock-upstream/server';

explainSkippedPostgres();
const stores = ['PGlite', ...(POSTGRES_URL ? ['PostgreSQL'] : [])];
const MAX_IMPORT_BYTES = 200_000;

const exportOf = (client: ApiClient, id: string, format: string) => client.fetch(`/api/conversations/${id}/export?format=${format}`);
const importDocument = (client: ApiClient, body: unknown, contentType = 'application/json') =>
  client.fetch('/api/conversations/import', { method: 'POST', headers: { 'Content-Type': contentType }, body: typeof body === 'string' ? body : JSON.stringify(body) });
const errorOf = async (response: Response) => ErrorBodySchema.parse(await response.json()).error;

/** The document with what an import may change left out: ids and times. */
function withoutIdsAndTimes(document: ExportDocument) {
  const { conversation, messages, runs } = document;
  return {
    format: document.format,
    version: document.version,
    title: conversation.title,
    messages: messages.map(({ id: _id, runId, createdAt: _at, ...rest }) => ({ ...rest, hasRun: runId !== undefined })),
    runs: runs.map(({ id: _id, startedAt: _s, endedAt: _e, steps, ...rest }) => ({
      ...rest,
      steps: steps.map(({ startedAt: _ss, endedAt: _se, ...step }) => step),
    })),
  };
}

describe.each(stores)('export and import, on %s', (storeName) => {
  let app: AppServer;
  let mock: MockUpstream;
  let api: ApiClient;
  let dropDatabase: (() => Promise<void>) | undefined;
  let id: string;

  beforeAll(async () => {
    mock = await startMockUpstream();
    const store = await storeEnv(storeName);
    dropDatabase = store.drop;
    app = await startApp({ ...upstreamEnv(mock), UPSTREAM_MAX_RETRIES: '0', MAX_IMPORT_BYTES: String(MAX_IMPORT_BYTES), ...store.env });
    api = createClient(app.url);
    id = await newConversation(api);
    await runPrompt(api, id, 'A poem about rivers, please [title:Rivers & tides: “notes”/ünï]');
    await runPrompt(api, id, 'Now a script that prints hello');
    await runPrompt(api, id, 'And why is the sea salty? [fail:500]');
    // an answer stopped part-way
    const stopped = await postPrompt(api, id, 'Tell me about estuaries? [reply:one two three four five six seven eight] [slow:100]');
    const events = readStreamEvents(stopped.body!);
    for (let deltas = 0; deltas < 2; ) if ((await events.next()).value?.event.type === 'delta') deltas++;
    await api.fetch(`/api/conversations/${id}/cancel`, { method: 'POST' });
    for (let next = await events.next(); !next.done; next = await events.next());
  });
  afterAll(async () => {
    await app?.stop();
    await mock?.close();
    await dropDatabase?.();
  });

  it('exports Markdown: the title as heading, each message under its role, code fenced, stopped and failed answers marked', async () => {
    const response = await exportOf(api, id, 'markdown');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/markdown; charset=utf-8');
    expect(response.headers.get('content-disposition')).toBe(
      `attachment; filename="Rivers & tides notes uni.md"; filename*=UTF-8''${encodeURIComponent('Rivers & tides “notes” ünï.md')}`,
    );
    const markdown = await response.text();
    expect(markdown.startsWith('# Rivers & tides: “notes”/ünï\n')).toBe(true);
    expect(markdown).toContain('## You\n\nA poem about rivers, please');
    expect(markdown).toContain('## Assistant (Poem)\n\nRoses from the mock,\nstreaming round the clock.');
    expect(markdown).toContain('## Assistant (Code)\n\n```js\nconsole.log("mock code");\n```');
    expect(markdown).toMatch(/## Assistant \(Question\)\n\n> \*\*Error:\*\* The model provider answered with HTTP 500/);
    expect(markdown).toMatch(/## Assistant \(Question\)\n\none two[^#]*\n\n> \*Interrupted: this answer was stopped before it was finished\.\*/);
    expect(markdown.match(/^## /gm)).toHaveLength(8);
  });

  it('exports JSON: the conversation, its messages and its runs with their steps, as the API gives them', async () => {
    const response = await exportOf(api, id, 'json');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.get('content-disposition')).toMatch(/^attachment; filename="Rivers & tides notes uni\.json"/);
    const document = ExportDocumentSchema.parse(await response.json());
    expect(document.format).toBe('sluice.conversation');
    expect(document.version).toBe(1);
    expect(document.conversation.title).toBe('Rivers & tides: “notes”/ünï');
    expect(document.messages).toEqual((await getConversation(api, id)).messages);
    expect(document.runs).toEqual(RunListSchema.parse(await (await api.fetch(`/api/conversations/${id}/runs`)).json()).runs);
    expect(document.runs).toHaveLength(4);
  });

  it('imports it back as a new conversation whose export is the same document but for ids and times; its trace and forks work', async () => {
    const original = ExportDocumentSchema.parse(await (await exportOf(api, id, 'json')).json());
    const response = await importDocument(api, original);
    expect(response.status).toBe(201);
    const { id: imported } = CreatedConversationSchema.parse(await response.json());
    expect(imported).not.toBe(id);
    const again = ExportDocumentSchema.parse(await (await exportOf(api, imported, 'json')).json());
    expect(withoutIdsAndTimes(again)).toEqual(withoutIdsAndTimes(original));
    expect(again.messages.map((m) => m.createdAt)).toEqual(original.messages.map((m) => m.createdAt));
    const originalIds = new Set([...original.messages.map((m) => m.id), ...original.runs.map((r) => r.id)]);
    expect([...again.messages.map((m) => m.id), ...again.runs.map((r) => r.id)].some((i) => originalIds.has(i))).toBe(false);

    // listed, and a fork from one of its steps runs
    const list = ConversationListSchema.parse(await (await api.fetch('/api/conversations')).json()).conversations;
    expect(list[0]?.id).toBe(imported);
    const poemRun = again.runs.find((run) => run.mode === 'generate_poem')!;
    const fork = await api.fetch(`/api/conversations/${imported}/fork`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ runId: poemRun.id, step: 'decide_mode' }),
    });
    expect(fork.status).toBe(201);
    const { id: forkId } = CreatedConversationSchema.parse(await fork.json());
    const followed = await readRun(await api.fetch(`/api/conversations/${forkId}/stream`));
    expect(followed.events.at(-1)?.event).toMatchObject({ type: 'done', value: { mode: 'generate_poem' } });
    // and it takes a prompt of its own
    expect((await runPrompt(api, imported, 'One more question?')).events.at(-1)?.event.type).toBe('done');
  });

  it('refuses what it cannot take with 400 invalid_body saying what is wrong, and imports nothing', async () => {
    const document = ExportDocumentSchema.parse(await (await exportOf(api, id, 'json')).json());
    const count = async () => ConversationListSchema.parse(await (await api.fetch('/api/conversations')).json()).conversations.length;
    const before = await count();
    const cases: [unknown, RegExp][] = [
      [{ ...document, format: 'chatgpt.export' }, /not a Sluice conversation/],
      [{ ...document, version: 2 }, /version must be 1/],
      [{ ...document, messages: 'none' }, /messages/],
      [{ ...document, messages: [{ ...document.messages[0], role: 'system' }] }, /^messages\[0\]\.role/],
      [{ ...document, messages: [{ ...document.messages[0], content: 'a\u0000b' }] }, /^messages\[0\]\.content: holds NUL/],
      [{ ...document, messages: [{ ...document.messages[0], runId: crypto.randomUUID() }] }, /^messages\[0\]\.runId: names no run/],
      [{ ...document, conversation: { ...document.conversation, createdAt: 'yesterday' } }, /^conversation\.createdAt: must be a date/],
      [[document], /JSON object/],
    ];
    for (const [body, message] of cases) {
      const response = await importDocument(api, body);
      expect(response.status).toBe(400);
      const error = await errorOf(response);
      expect(error.code).toBe('invalid_body');
      expect(error.message).toMatch(message);
    }
    expect((await errorOf(await importDocument(api, '{"format": '))).code).toBe('invalid_json');
    expect((await importDocument(api, 'x', 'text/plain')).status).toBe(415);
    const tooLarge = await importDocument(api, { ...document, messages: [{ ...document.messages[0], content: 'x'.repeat(MAX_IMPORT_BYTES) }] });
    expect(tooLarge.status).toBe(413);
    expect((await errorOf(tooLarge)).code).toBe('body_too_large');
    expect(await count()).toBe(before);
  });

  it('exports only the session’s own conversations, in a format it knows', async () => {
    const stranger = createClient(app.url);
    expect((await exportOf(stranger, id, 'json')).status).toBe(404);
    expect((await exportOf(stranger, id, 'markdown')).status).toBe(404);
    for (const format of ['', 'pdf', 'JSON']) {
      const response = await exportOf(api, id, format);
      expect(response.status).toBe(400);
      expect(await errorOf(response)).toMatchObject({ code: 'invalid_query', message: 'format must be markdown or json' });
    }
  });
});
