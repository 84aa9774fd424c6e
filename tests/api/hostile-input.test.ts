import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorBodySchema } from '@/lib/contract';
import { startApp, type AppServer } from '../helpers/app-server';
import { type ApiClient, createClient, getConversation, newConversation, ofType, postPrompt, readRun } from '../helpers/api-client';

let app: AppServer;
let api: ApiClient;
let id: string;

beforeAll(async () => {
  app = await startApp({ DEMO_TOKEN_DELAY_MS: '2' });
  api = createClient(app.url);
  id = await newConversation(api);
});
afterAll(() => app?.stop());

type Case = {
  what: string;
  method: string;
  path: () => string;
  body?: string | Uint8Array<ArrayBuffer>;
  contentType?: string | null;
  headers?: Record<string, string>;
  status: number;
  code: string;
};

const json = 'application/json';
const messages = () => `/api/conversations/${id}/messages`;
const deep = (n: number) => `{"prompt": ${'['.repeat(n)}${']'.repeat(n)}}`;

const cases: Case[] = [
  // bodies that are not JSON, or not the JSON asked for
  { what: 'unterminated JSON', method: 'POST', path: messages, body: '{"prompt": "hi', status: 400, code: 'invalid_json' },
  { what: 'an empty body', method: 'POST', path: messages, body: '', status: 400, code: 'invalid_json' },
  { what: 'bytes that are not UTF-8', method: 'POST', path: messages, body: new Uint8Array([0x7b, 0xc3, 0x28, 0x7d]), status: 400, code: 'invalid_json' },
  { what: 'JSON with a trailing comma', method: 'POST', path: messages, body: '{"prompt": "hi",}', status: 400, code: 'invalid_json' },
  { what: 'a number for the prompt', method: 'POST', path: messages, body: '{"prompt": 42}', status: 400, code: 'invalid_prompt' },
  { what: 'null for the prompt', method: 'POST', path: messages, body: '{"prompt": null}', status: 400, code: 'invalid_prompt' },
  { what: 'an array for the body', method: 'POST', path: messages, body: '["hi"]', status: 400, code: 'invalid_prompt' },
  { what: 'an object for the prompt', method: 'POST', path: messages, body: '{"prompt": {"$gt": ""}}', status: 400, code: 'invalid_prompt' },
  { what: 'a prompt holding NUL (the store cannot hold it)', method: 'POST', path: messages, body: '{"prompt": "a\\u0000b"}', status: 400, code: 'invalid_prompt' },
  { what: 'a blank prompt', method: 'POST', path: messages, body: '{"prompt": " \\u00a0\\n\\t"}', status: 400, code: 'invalid_prompt' },
  { what: 'JSON nested 20,000 deep', method: 'POST', path: messages, body: deep(20_000), status: 400, code: 'invalid_prompt' },
  { what: 'a huge prompt', method: 'POST', path: messages, body: JSON.stringify({ prompt: 'x'.repeat(40_000) }), status: 413, code: 'prompt_too_large' },
  { what: 'a text/plain body', method: 'POST', path: messages, body: '{"prompt": "hi"}', contentType: 'text/plain', status: 415, code: 'unsupported_media_type' },
  { what: 'a form body', method: 'POST', path: messages, body: 'prompt=hi', contentType: 'application/x-www-form-urlencoded', status: 415, code: 'unsupported_media_type' },
  { what: 'no content type', method: 'POST', path: messages, body: '{"prompt": "hi"}', contentType: null, status: 415, code: 'unsupported_media_type' },
  // creating a conversation takes an empty body or a JSON object, nothing else
  { what: 'an unparseable body to create', method: 'POST', path: () => '/api/conversations', body: '{', status: 400, code: 'invalid_json' },
  { what: 'an array to create', method: 'POST', path: () => '/api/conversations', body: '[1]', status: 400, code: 'invalid_body' },
  { what: 'a string to create', method: 'POST', path: () => '/api/conversations', body: '"x"', status: 400, code: 'invalid_body' },
  // ids that name nothing
  ...[
    ['path traversal', '..%2F..%2Fetc%2Fpasswd'],
    ['an SQL fragment', "1'%20OR%20'1'%3D'1"],
    ['unicode', '%E2%98%83%F0%9F%8C%8A'],
    ['a 5 KB id', 'a'.repeat(5 * 1024)],
    ['a NUL byte', 'abc%00def'],
    ['an upper-case unknown uuid', '00000000-0000-4000-8000-00000000ABCD'],
  ].flatMap(([what, badId]): Case[] => [
    { what: `GET an id with ${what}`, method: 'GET', path: () => `/api/conversations/${badId}`, status: 404, code: 'not_found' },
    { what: `DELETE an id with ${what}`, method: 'DELETE', path: () => `/api/conversations/${badId}`, status: 404, code: 'not_found' },
    { what: `a prompt to an id with ${what}`, method: 'POST', path: () => `/api/conversations/${badId}/messages`, body: '{"prompt": "hi"}', status: 404, code: 'not_found' },
    { what: `a cancel for an id with ${what}`, method: 'POST', path: () => `/api/conversations/${badId}/cancel`, status: 404, code: 'not_found' },
    { what: `a stream for an id with ${what}`, method: 'GET', path: () => `/api/conversations/${badId}/stream`, status: 404, code: 'not_found' },
  ]),
  // methods a route does not serve
  { what: 'PUT on the list', method: 'PUT', path: () => '/api/conversations', status: 405, code: 'method_not_allowed' },
  { what: 'DELETE on the list', method: 'DELETE', path: () => '/api/conversations', status: 405, code: 'method_not_allowed' },
  { what: 'PUT on a conversation', method: 'PUT', path: () => `/api/conversations/${id}`, status: 405, code: 'method_not_allowed' },
  { what: 'GET on messages', method: 'GET', path: messages, status: 405, code: 'method_not_allowed' },
  { what: 'PUT on cancel', method: 'PUT', path: () => `/api/conversations/${id}/cancel`, status: 405, code: 'method_not_allowed' },
  { what: 'POST on stream', method: 'POST', path: () => `/api/conversations/${id}/stream`, status: 405, code: 'method_not_allowed' },
  { what: 'DELETE on health', method: 'DELETE', path: () => '/api/health', status: 405, code: 'method_not_allowed' },
  { what: 'a Last-Event-ID that is not an id', method: 'GET', path: () => `/api/conversations/${id}/stream`, headers: { 'Last-Event-ID': '1; DROP TABLE runs' }, status: 400, code: 'invalid_event_id' },
];

describe('hostile requests', () => {
  it.each(cases)('$what: $status $code', async ({ method, path, body, contentType = json, headers = {}, status, code }) => {
    const response = await api.fetch(path(), {
      method,
      headers: { ...(contentType ? { 'Content-Type': contentType } : {}), ...headers },
      ...(body === undefined ? {} : { body }),
    });
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toContain('application/json');
    expect(ErrorBodySchema.parse(await response.json()).error.code).toBe(code);
  });

  it('refuses a 10 MB body with 413 without reading it, and stays up with nothing stored', async () => {
    const response = await api.fetch(messages(), {
      method: 'POST',
      headers: { 'Content-Type': json },
      body: JSON.stringify({ prompt: 'x'.repeat(10 * 1024 * 1024) }),
    }).catch((error: unknown) => error);
    // The server answers 413 at once; the client may see that, or its upload cut off: never a 5xx.
    if (response instanceof Response) {
      expect(response.status).toBe(413);
      expect(ErrorBodySchema.parse(await response.json()).error.code).toBe('body_too_large');
    }
    await expect.poll(async () => (await api.fetch('/api/health')).status).toBe(200);
  });

  it('creates a conversation from an empty body or a JSON object, with or without a content type', async () => {
    for (const init of [{}, { body: '{}', headers: { 'Content-Type': json } }, { body: '{"title": "ignored"}', headers: { 'Content-Type': json } }]) {
      const response = await api.fetch('/api/conversations', { method: 'POST', ...init });
      expect(response.status).toBe(201);
    }
  });

  it('after all of it: the server is up, never answered 5xx, and the conversation holds nothing it should not', async () => {
    expect((await api.fetch('/api/health')).status).toBe(200);
    expect(app.logs()).not.toMatch(/internal error/);
    expect((await getConversation(api, id)).messages).toEqual([]);
  });
});

describe('requests from another site', () => {
  const foreign = { Origin: 'https://evil.example' };

  it('refuses state changes another site makes the browser send (403 forbidden_origin), and changes nothing', async () => {
    const target = await newConversation(api);
    const refused: Response[] = [
      await api.fetch('/api/conversations', { method: 'POST', headers: foreign }),
      await postPrompt(api, target, 'hi?', { headers: { 'Content-Type': 'application/json', ...foreign } }),
      await postPrompt(api, target, 'hi?', { headers: { 'Content-Type': 'application/json', 'Sec-Fetch-Site': 'cross-site' } }),
      await api.fetch(`/api/conversations/${target}`, { method: 'DELETE', headers: { 'Sec-Fetch-Site': 'cross-site' } }),
      await api.fetch(`/api/conversations/${target}/cancel`, { method: 'POST', headers: foreign }),
      await api.fetch('/api/conversations', { method: 'POST', headers: { Origin: 'null' } }),
    ];
    for (const response of refused) {
      expect(response.status).toBe(403);
      expect(ErrorBodySchema.parse(await response.json()).error.code).toBe('forbidden_origin');
    }
    expect((await getConversation(api, target)).messages).toEqual([]);
  });

  it('lets the same origin, and clients that send no Origin (curl, servers), through; reads are never refused', async () => {
    const sameOrigin = await api.fetch('/api/conversations', {
      method: 'POST',
      headers: { Origin: app.url, 'Sec-Fetch-Site': 'same-origin' },
    });
    expect(sameOrigin.status).toBe(201);
    expect((await api.fetch('/api/conversations', { method: 'POST' })).status).toBe(201);
    expect((await api.fetch('/api/conversations', { headers: foreign })).status).toBe(200);
  });
});

describe('two prompts at once', () => {
  it('to one conversation: exactly one streams, the other gets 409, and the conversation holds just the one turn', async () => {
    const target = await newConversation(api);
    const [a, b] = await Promise.all([postPrompt(api, target, 'first?'), postPrompt(api, target, 'second?')]);
    const statuses = [a.status, b.status].sort();
    expect(statuses).toEqual([200, 409]);
    const streamed = a.status === 200 ? a : b;
    const refused = a.status === 200 ? b : a;
    expect(ErrorBodySchema.parse(await refused.json()).error.code).toBe('run_in_progress');
    const { events } = await readRun(streamed);
    expect(ofType(events, 'done')).toHaveLength(1);
    const stored = await getConversation(api, target);
    expect(stored.messages.map((m) => m.role)).toEqual(['user', 'assistant']);
  });

  it('to two conversations: both stream to the end, each into its own conversation', async () => {
    const [one, two] = await Promise.all([newConversation(api), newConversation(api)]);
    const runs = await Promise.all([postPrompt(api, one, 'what is one?'), postPrompt(api, two, 'what is two?')]);
    expect(runs.map((r) => r.status)).toEqual([200, 200]);
    const [first, second] = await Promise.all(runs.map(readRun));
    expect(ofType(first!.events, 'done')[0]!.value.content).toMatch(/what is one\?/);
    expect(ofType(second!.events, 'done')[0]!.value.content).toMatch(/what is two\?/);
    expect((await getConversation(api, one)).messages.map((m) => m.content)[0]).toBe('what is one?');
    expect((await getConversation(api, two)).messages.map((m) => m.content)[0]).toBe('what is two?');
  });
});
