import { describe, expect, it } from 'vitest';
import type { MockUpstream } from '../mock-upstream/server';
import { type ApiClient, createClient, getConversation, newConversation, ofType, postPrompt, readRun, runPrompt } from '../helpers/api-client';
import { upstreamEnv, withUpstreamApp } from '../helpers/upstream-app';
import { startApp } from '../helpers/app-server';
import { createScratchDatabase, explainSkippedPostgres, POSTGRES_URL } from '../helpers/postgres';

explainSkippedPostgres();

let mock: MockUpstream;
let api: ApiClient;
withUpstreamApp((started) => ({ mock, api } = started));

describe('following a run with GET .../stream', () => {
  const streamOf = (id: string, headers: Record<string, string> = {}) =>
    api.fetch(`/api/conversations/${id}/stream`, { headers });

  it('replays the running run from its first event, follows it live and closes after done', async () => {
    const id = await newConversation(api);
    const post = await postPrompt(api, id, 'question? [slow:60][reply:one two three four five six seven eight]');
    const first = readRun(post);
    const followed = await streamOf(id);
    expect(followed.status).toBe(200);
    expect(followed.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const [original, replayed] = await Promise.all([first, readRun(followed)]);
    expect(replayed.events).toEqual(original.events);
    expect(replayed.events.at(-1)?.event.type).toBe('done');
    // Once the run is over there is nothing to follow: 204 tells an EventSource to stop reconnecting.
    expect((await streamOf(id)).status).toBe(204);
  });

  it('picks up after Last-Event-ID, with nothing shown twice and nothing missing', async () => {
    const id = await newConversation(api);
    const post = await postPrompt(api, id, 'question? [slow:60][reply:alpha beta gamma delta epsilon zeta]');
    const whole = readRun(post);
    const followed = await streamOf(id, { 'Last-Event-ID': '3' });
    const rest = await readRun(followed);
    const all = (await whole).events;
    expect(rest.events[0]?.id).toBe(4);
    expect(rest.events).toEqual(all.slice(3));
  });

  it('goes on after the client that started the run has left, up to the stored answer', async () => {
    const id = await newConversation(api);
    const controller = new AbortController();
    const post = await postPrompt(api, id, 'question? [slow:40][reply:a b c d e f g h]', { signal: controller.signal });
    await post.body!.getReader().read();
    controller.abort();
    const { events } = await readRun(await streamOf(id));
    const done = ofType(events, 'done')[0]!.value;
    expect(done.content).toBe('a b c d e f g h');
    expect((await getConversation(api, id)).messages.at(-1)).toEqual(done);
  });

  it('answers 204 when nothing runs, 404 for no such conversation, 400 for a Last-Event-ID that is not an id', async () => {
    const id = await newConversation(api);
    const idle = await streamOf(id);
    expect(idle.status).toBe(204);
    expect(await idle.text()).toBe('');
    const missing = await streamOf(crypto.randomUUID());
    expect(missing.status).toBe(404);
    expect((await missing.json()).error.code).toBe('not_found');
    const bad = await streamOf(id, { 'Last-Event-ID': 'abc' });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.code).toBe('invalid_event_id');
  });
});

explainSkippedPostgres();

const stores = ['PGlite', ...(POSTGRES_URL ? ['PostgreSQL'] : [])];

describe.each(stores)('history on %s survives a server restart', (storeName) => {
  it('serves the same history after a restart and the agent continues the conversation', async () => {
    const scratch = storeName === 'PostgreSQL' ? await createScratchDatabase(POSTGRES_URL!) : undefined;
    const server = await startApp({ ...upstreamEnv(mock), ...(scratch ? { DATABASE_URL: scratch.url } : {}) });
    const serverApi = createClient(server.url);
    try {
      const health = await (await serverApi.fetch('/api/health')).json();
      expect(health.store).toBe(scratch ? 'postgres' : 'pglite');
      const id = await newConversation(serverApi);
      await runPrompt(serverApi, id, 'remember the word heron?');
      const before = await getConversation(serverApi, id);
      await server.restart();
      expect(await getConversation(serverApi, id)).toEqual(before);
      await runPrompt(serverApi, id, 'what was the word?');
      const messages = mock.chatRequests().at(-1)!.body.messages as { content: string }[];
      expect(messages.map((m) => m.content)).toContain('remember the word heron?');
    } finally {
      await server.stop();
      await scratch?.drop();
    }
  });
});
