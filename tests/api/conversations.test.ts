import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConversationListSchema, CreatedConversationSchema, ErrorBodySchema, HealthSchema } from '@/lib/contract';
import { startApp, type AppServer } from '../helpers/app-server';
import { type ApiClient, createClient, getConversation, newConversation, ofType, postPrompt, readRun, runPrompt } from '../helpers/api-client';

let app: AppServer;
let api: ApiClient;

beforeAll(async () => {
  // The demo model, fast: no upstream configured at all.
  app = await startApp({ DEMO_TOKEN_DELAY_MS: '2', MAX_PROMPT_BYTES: '1000' });
  api = createClient(app.url);
});
afterAll(() => app?.stop());

async function expectError(response: Response, status: number, code: string) {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toContain('application/json');
  const body = ErrorBodySchema.parse(await response.json());
  expect(body.error.code).toBe(code);
  expect(body.error.message.length).toBeGreaterThan(0);
}

describe('conversations API on the demo model', () => {
  it('reports health: demo provider, embedded store', async () => {
    const response = await api.fetch('/api/health');
    expect(response.status).toBe(200);
    const health = await response.json();
    expect(HealthSchema.parse(health)).toMatchObject({ status: 'ok', provider: 'demo', store: 'pglite' });
    expect(health.notice).toMatch(/demo model.*OPENAI_API_KEY/s);
  });

  it('creates conversations with unguessable ids and lists them newest first by last message', async () => {
    const first = await newConversation(api);
    const second = await newConversation(api);
    expect(first).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    await runPrompt(api, first, 'What is a river, and why does it flow toward the sea in the end?');
    const list = ConversationListSchema.parse(await (await api.fetch('/api/conversations')).json());
    const ids = list.conversations.map((c) => c.id);
    expect(ids.indexOf(first)).toBeLessThan(ids.indexOf(second));
    const titled = list.conversations.find((c) => c.id === first);
    // cut to 60 characters at a word boundary
    expect(titled?.title).toBe('What is a river, and why does it flow toward the sea in the');
  });

  it('streams a demo answer that says it is the demo model, and stores both messages', async () => {
    const id = await newConversation(api);
    const { events } = await runPrompt(api, id, 'how do tides work?');
    expect(ofType(events, 'mode')).toEqual([{ type: 'mode', value: 'answer_question' }]);
    const text = ofType(events, 'delta').map((e) => e.value).join('');
    expect(text).toMatch(/demo model/);
    const done = ofType(events, 'done')[0]!.value;
    expect(done.content).toBe(text);
    const conversation = await getConversation(api, id);
    expect(conversation.messages.map((m) => [m.role, m.status])).toEqual([
      ['user', 'complete'],
      ['assistant', 'complete'],
    ]);
    expect(conversation.messages[1]).toEqual(done);
  });

  it('answers code requests with only one fenced block, typed code', async () => {
    const id = await newConversation(api);
    const { events } = await runPrompt(api, id, 'write a function that adds two numbers');
    const done = ofType(events, 'done')[0]!.value;
    expect(done).toMatchObject({ type: 'code', mode: 'generate_code' });
    expect(done.content).toMatch(/^```\w+\n[\s\S]*\n```$/);
    expect(done.content.match(/```/g)).toHaveLength(2);
  });

  it('deletes a conversation: 204, then 404', async () => {
    const id = await newConversation(api);
    expect((await api.fetch(`/api/conversations/${id}`, { method: 'DELETE' })).status).toBe(204);
    await expectError(await api.fetch(`/api/conversations/${id}`), 404, 'not_found');
    await expectError(await api.fetch(`/api/conversations/${id}`, { method: 'DELETE' }), 404, 'not_found');
  });

  it('answers unknown and malformed ids with 404', async () => {
    await expectError(await api.fetch('/api/conversations/00000000-0000-4000-8000-000000000000'), 404, 'not_found');
    await expectError(await api.fetch('/api/conversations/not-an-id'), 404, 'not_found');
    await expectError(await postPrompt(api, 'not-an-id', 'hi'), 404, 'not_found');
    await expectError(await postPrompt(api, '00000000-0000-4000-8000-000000000000', 'hi'), 404, 'not_found');
  });

  it('refuses bad prompts with 400 and stores nothing', async () => {
    const id = await newConversation(api);
    const post = (body: string, contentType = 'application/json') =>
      api.fetch(`/api/conversations/${id}/messages`, {
        method: 'POST',
        headers: { 'Content-Type': contentType },
        body,
      });
    await expectError(await post('{"prompt": "unterminated'), 400, 'invalid_json');
    await expectError(await post(''), 400, 'invalid_json');
    await expectError(await post(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]) as unknown as string), 400, 'invalid_json');
    await expectError(await post('{}'), 400, 'invalid_prompt');
    await expectError(await post('[]'), 400, 'invalid_prompt');
    await expectError(await post('{"prompt": 42}'), 400, 'invalid_prompt');
    await expectError(await post('{"prompt": "   \\n\\t "}'), 400, 'invalid_prompt');
    await expectError(await post('{"prompt": "lone \\ud800 surrogate"}'), 400, 'invalid_prompt');
    await expectError(await post('{"prompt": "hi"}', 'text/plain'), 415, 'unsupported_media_type');
    await expectError(await post('{"prompt": "hi"}', 'application/x-www-form-urlencoded'), 415, 'unsupported_media_type');
    // a charset parameter is fine
    const ok = await post('{"prompt": "hello?"}', 'application/json; charset=utf-8');
    expect(ok.status).toBe(200);
    await readRun(ok);
    expect((await getConversation(api, id)).messages).toHaveLength(2);
  });

  it('refuses prompts over MAX_PROMPT_BYTES and bodies over 1 MiB with 413', async () => {
    const id = await newConversation(api);
    // 400 three-byte characters: 400 characters but 1200 bytes, over the 1000 set for this server
    await expectError(await postPrompt(api, id, '€'.repeat(400)), 413, 'prompt_too_large');
    await expectError(await postPrompt(api, id, 'x'.repeat(1024 * 1024 + 10)), 413, 'body_too_large');
    // a streamed body with no Content-Length is cut off at the limit too
    const huge = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"prompt": "'));
        for (let i = 0; i < 20; i++) controller.enqueue(new Uint8Array(128 * 1024).fill(0x61));
        controller.close();
      },
    });
    const chunked = await api.fetch(`/api/conversations/${id}/messages`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: huge,
      duplex: 'half',
    } as RequestInit);
    await expectError(chunked, 413, 'body_too_large');
    // The refused upload's connection is reset; the server itself stays up and lost nothing.
    await expect.poll(async () => (await api.fetch('/api/health')).status).toBe(200);
    expect((await getConversation(api, id)).messages).toEqual([]);
  });

  it('answers unsupported methods with 405 and an Allow header', async () => {
    const id = await newConversation(api);
    const cases: [string, string][] = [
      ['PUT', '/api/conversations'],
      ['PUT', `/api/conversations/${id}`],
      ['GET', `/api/conversations/${id}/messages`],
      ['DELETE', `/api/conversations/${id}/messages`],
      ['POST', '/api/health'],
    ];
    for (const [method, path] of cases) {
      const response = await api.fetch(path, { method });
      await expectError(response, 405, 'method_not_allowed');
      expect(response.headers.get('allow')).toBeTruthy();
    }
  });

  it('refuses a second prompt while a run streams (409), then accepts the next one', async () => {
    const slow = await startApp({ DEMO_TOKEN_DELAY_MS: '40' });
    const slowApi = createClient(slow.url);
    try {
      const id = await newConversation(slowApi);
      const first = await postPrompt(slowApi, id, 'why is the sky blue?');
      expect(first.status).toBe(200);
      await expectError(await postPrompt(slowApi, id, 'and the sea?'), 409, 'run_in_progress');
      const { events } = await readRun(first);
      expect(ofType(events, 'done')).toHaveLength(1);
      const next = await runPrompt(slowApi, id, 'and the sea?');
      expect(ofType(next.events, 'done')).toHaveLength(1);
      expect((await getConversation(slowApi, id)).messages).toHaveLength(4);
    } finally {
      await slow.stop();
    }
  });
});

describe('POST .../fork', () => {
  const fork = (client: ApiClient, id: string, body: unknown) =>
    client.fetch(`/api/conversations/${id}/fork`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

  it('edits a prompt into a new conversation that runs on its own, linked both ways, the original untouched', async () => {
    const id = await newConversation(api);
    await runPrompt(api, id, 'Write a poem about herons');
    const original = await getConversation(api, id);
    const runId = original.messages[0]!.runId!;
    expect(runId).toMatch(/^[0-9a-f-]{36}$/);

    const response = await fork(api, id, { runId, step: 'prompt', prompt: 'Write a function that adds two numbers' });
    expect(response.status).toBe(201);
    const { id: forkId } = CreatedConversationSchema.parse(await response.json());
    expect(response.headers.get('location')).toBe(`/api/conversations/${forkId}`);
    // the continuation is followed like any run
    const followed = await readRun(await api.fetch(`/api/conversations/${forkId}/stream`));
    expect(followed.events.at(-1)?.event).toMatchObject({ type: 'done', value: { type: 'code', mode: 'generate_code' } });

    const forked = await getConversation(api, forkId);
    expect(forked.parent).toEqual({ conversationId: id, runId, step: 'prompt' });
    // its first prompt is a new conversation's: the (demo) model titles it
    expect(forked.title).toBe('Function that adds two numbers');
    expect(forked.messages.map((m) => m.role)).toEqual(['user', 'assistant']);
    expect((await getConversation(api, id)).forks).toEqual([{ id: forkId, runId, step: 'prompt' }]);
    expect((await getConversation(api, id)).messages).toEqual(original.messages);
    const listed = ConversationListSchema.parse(await (await api.fetch('/api/conversations')).json()).conversations;
    expect(listed.find((c) => c.id === forkId)?.parent).toEqual({ conversationId: id, runId, step: 'prompt' });
    expect(listed.find((c) => c.id === id)?.parent).toBeUndefined();
  });

  it('refuses what cannot be forked: 400 for a malformed body, 404 for what is not there or not yours', async () => {
    const id = await newConversation(api);
    await runPrompt(api, id, 'How do tides work?');
    const runId = (await getConversation(api, id)).messages[0]!.runId!;
    await expectError(await fork(api, id, { runId, step: 'decide_mode', prompt: 'new text' }), 400, 'invalid_body');
    await expectError(await fork(api, id, { runId: 'nope', step: 'prompt' }), 400, 'invalid_body');
    await expectError(await fork(api, id, { runId, step: 'sideways' }), 400, 'invalid_body');
    await expectError(await fork(api, id, { runId, step: 'prompt', prompt: '   ' }), 400, 'invalid_body');
    await expectError(await fork(api, id, { runId: crypto.randomUUID(), step: 'prompt' }), 404, 'not_found');
    await expectError(await fork(api, id, { runId, step: 'generate_poem' }), 404, 'not_found');
    await expectError(await fork(createClient(app.url), id, { runId, step: 'prompt' }), 404, 'not_found');
    const other = await newConversation(api);
    await expectError(await fork(api, other, { runId, step: 'prompt' }), 404, 'not_found');
    expect((await getConversation(api, id)).forks).toEqual([]);
  });
});
