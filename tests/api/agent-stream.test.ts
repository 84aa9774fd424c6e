import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunListSchema, type ResponseStep, type StreamEvent, type TraceStep } from '@/lib/contract';
import { readStreamEvents } from '@/lib/stream/read-sse';
import { mockUsage, startMockUpstream, type MockUpstream } from '../mock-upstream/server';
import { startApp, type AppServer } from '../helpers/app-server';
import { type ApiClient, createClient, getConversation, newConversation, ofType, postPrompt, readRun, runPrompt } from '../helpers/api-client';
import { createScratchDatabase, explainSkippedPostgres, POSTGRES_URL } from '../helpers/postgres';

let mock: MockUpstream;
let app: AppServer;
let api: ApiClient;

const upstreamEnv = () => ({
  OPENAI_BASE_URL: mock.baseURL,
  OPENAI_API_KEY: 'test-key',
  CHAT_MODEL: 'mock-chat',
  ROUTER_MODEL: 'mock-router',
  UPSTREAM_MAX_RETRIES: '1',
  UPSTREAM_IDLE_TIMEOUT_MS: '1500',
  SSE_PING_INTERVAL_MS: '200',
  DEMO_TOKEN_DELAY_MS: '1',
});

beforeAll(async () => {
  mock = await startMockUpstream();
  app = await startApp(upstreamEnv());
  api = createClient(app.url);
});
afterAll(async () => {
  await app?.stop();
  await mock?.close();
});

const expectedSequence = (step: ResponseStep) => [
  'chat_history',
  'step:check_safety|decide_mode:started',
  'step:check_safety|decide_mode:started',
  'step:check_safety|decide_mode:completed',
  'step:check_safety|decide_mode:completed',
  `mode:${step}`,
  `step:${step}:started`,
  'delta+',
  `step:${step}:completed`,
  'done',
];

/** The event sequence, with the two parallel steps folded together and consecutive deltas as one `delta+`. */
function shape(events: { event: { type: string; value: unknown } }[]) {
  const out: string[] = [];
  for (const { event } of events) {
    let label: string = event.type;
    if (event.type === 'step') {
      const { name, status } = event.value as { name: string; status: string };
      label = `step:${name === 'check_safety' || name === 'decide_mode' ? 'check_safety|decide_mode' : name}:${status}`;
    } else if (event.type === 'mode') label = `mode:${event.value}`;
    else if (event.type === 'delta') label = 'delta+';
    if (label === 'delta+' && out.at(-1) === 'delta+') continue;
    out.push(label);
  }
  return out;
}

describe('the run stream against an OpenAI-compatible upstream', () => {
  const cases: [ResponseStep, string, RegExp][] = [
    ['answer_question', 'How do rivers form?', /mock upstream answering/],
    ['generate_poem', 'a poem about the moon', /Roses from the mock/],
    ['generate_code', 'a script that prints hello', /^```js\n/],
    ['prompt_for_more', 'hmm', /Could you say a bit more/],
    ['unsafe_response', 'something unsafe please', /cannot help with that/],
  ];

  for (const [step, prompt, content] of cases) {
    it(`streams the full event sequence for ${step}`, async () => {
      const id = await newConversation(api);
      const response = await postPrompt(api, id, prompt);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
      expect(response.headers.get('cache-control')).toBe('no-cache, no-transform');
      expect(response.headers.get('x-accel-buffering')).toBe('no');
      const { events } = await readRun(response);

      expect(events.map((e) => e.id)).toEqual(events.map((_, i) => i + 1));
      expect(shape(events)).toEqual(expectedSequence(step));
      const deltas = ofType(events, 'delta').map((e) => e.value);
      expect(deltas.length).toBeGreaterThan(1);
      const done = ofType(events, 'done')[0]!.value;
      expect(done.content).toBe(deltas.join(''));
      expect(done.content).toMatch(content);
      expect(done).toMatchObject({ role: 'assistant', mode: step, status: 'complete', type: step === 'generate_code' ? 'code' : 'text' });
      const stored = await getConversation(api, id);
      expect(stored.messages.at(-1)).toEqual(done);
    });
  }

  it('falls back to prompt_for_more when the router answers garbage', async () => {
    const id = await newConversation(api);
    const { events } = await runPrompt(api, id, 'tell me things [router:garbage]');
    expect(ofType(events, 'mode')).toEqual([{ type: 'mode', value: 'prompt_for_more' }]);
  });

  it('sends the conversation so far as chat_history, and the whole history to the model', async () => {
    const id = await newConversation(api);
    await runPrompt(api, id, 'first question?');
    const { events } = await runPrompt(api, id, 'second question?');
    const history = ofType(events, 'chat_history')[0]!.value;
    expect(history.map((m) => [m.role, m.content.slice(0, 15)])).toEqual([
      ['user', 'first question?'],
      ['assistant', 'This is the moc'],
    ]);
    const request = mock.chatRequests().at(-1)!;
    const messages = request.body.messages as { role: string; content: string }[];
    expect(messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
  });

  it('forwards each delta as it arrives: the first reaches the client while the upstream is still writing', async () => {
    const id = await newConversation(api);
    const response = await postPrompt(api, id, 'question? [slow:150][reply:one two three four five six]');
    const upstreamFinishedAtDelta: boolean[] = [];
    const deltas: string[] = [];
    for await (const { event } of readStreamEvents(response.body!)) {
      if (event.type !== 'delta') continue;
      deltas.push(event.value);
      upstreamFinishedAtDelta.push(mock.chatRequests().at(-1)!.finished);
    }
    expect(deltas).toEqual(['one ', 'two ', 'three ', 'four ', 'five ', 'six']);
    // Nothing buffers the stream: every delta but the last was forwarded before the upstream had finished.
    expect(upstreamFinishedAtDelta.slice(0, 5)).toEqual([false, false, false, false, false]);
  });

  it('ends with an error event on an upstream 500, stores an error item, and takes the next prompt at once', async () => {
    const id = await newConversation(api);
    const { events } = await runPrompt(api, id, 'why does this fail? [fail:500]');
    const last = events.at(-1)!.event;
    expect(last).toEqual({ type: 'error', value: { code: 'upstream_error', message: expect.stringMatching(/HTTP 500/) } });
    expect(ofType(events, 'step').at(-1)?.value).toEqual({ name: 'answer_question', status: 'failed' });
    const stored = await getConversation(api, id);
    expect(stored.messages.at(-1)).toMatchObject({ role: 'assistant', type: 'error', status: 'error' });
    const next = await runPrompt(api, id, 'and now?');
    expect(ofType(next.events, 'done')).toHaveLength(1);
  });

  it('fails decide_mode when the router call fails, and interrupts the safety check if still running', async () => {
    const id = await newConversation(api);
    const { events } = await runPrompt(api, id, 'why? [fail:router500]');
    expect(events.at(-1)!.event).toMatchObject({ type: 'error', value: { code: 'upstream_error' } });
    const steps = ofType(events, 'step').map((e) => `${e.value.name}:${e.value.status}`);
    expect(steps).toContain('decide_mode:failed');
    expect(ofType(events, 'mode')).toEqual([]);
    const stored = await getConversation(api, id);
    expect(stored.messages.at(-1)).toMatchObject({ role: 'assistant', type: 'error', status: 'error', content: expect.stringMatching(/HTTP 500/) });
  });

  it('ends with an error after the partial text on a malformed chunk, storing the partial text', async () => {
    const id = await newConversation(api);
    const { events } = await runPrompt(api, id, 'question? [fail:malformed][reply:alpha beta gamma delta]');
    expect(ofType(events, 'delta').map((e) => e.value).join('')).toBe('alpha beta ');
    expect(events.at(-1)!.event).toMatchObject({ type: 'error', value: { code: 'upstream_malformed' } });
    const stored = await getConversation(api, id);
    expect(stored.messages.at(-1)).toMatchObject({ content: 'alpha beta ', type: 'text', status: 'error' });
  });

  it('times out a silent upstream with upstream_timeout, pinging the client meanwhile', async () => {
    const id = await newConversation(api);
    const response = await postPrompt(api, id, 'question? [stall]');
    const { events, comments } = await readRun(response);
    expect(events.at(-1)!.event).toMatchObject({ type: 'error', value: { code: 'upstream_timeout' } });
    expect(comments.filter((c) => c === 'ping').length).toBeGreaterThanOrEqual(2);
    expect(mock.chatRequests().at(-1)?.closedByClient).toBe(true);
  });

  it('keeps running when the client disconnects: the answer is still stored', async () => {
    const id = await newConversation(api);
    const controller = new AbortController();
    const response = await postPrompt(api, id, 'question? [slow:30][reply:a b c d e f g h i j]', {
      signal: controller.signal,
    });
    const reader = response.body!.getReader();
    await reader.read();
    controller.abort();
    await expect
      .poll(async () => (await getConversation(api, id)).messages.at(-1), { timeout: 10_000 })
      .toMatchObject({ role: 'assistant', content: 'a b c d e f g h i j', status: 'complete' });
  });

  it('stops the run on cancel: the upstream request is closed and the partial answer stored as interrupted', async () => {
    const id = await newConversation(api);
    const response = await postPrompt(api, id, 'question? [slow:100][reply:a b c d e f g h i j k l m n o p]');
    const seen: string[] = [];
    const events = [];
    let cancelled = false;
    for await (const received of readStreamEvents(response.body!)) {
      events.push(received);
      if (received.event.type === 'delta') seen.push(received.event.value);
      if (seen.length === 3 && !cancelled) {
        cancelled = true;
        const cancel = await api.fetch(`/api/conversations/${id}/cancel`, { method: 'POST' });
        expect(cancel.status).toBe(202);
      }
    }
    const done = ofType(events, 'done')[0]!.value;
    expect(done.status).toBe('interrupted');
    expect(done.content).toBe(ofType(events, 'delta').map((e) => e.value).join(''));
    expect(done.content.length).toBeLessThan('a b c d e f g h i j k l m n o p'.length);
    expect(ofType(events, 'step').at(-1)?.value).toEqual({ name: 'answer_question', status: 'interrupted' });
    await expect.poll(() => mock.chatRequests().at(-1)?.closedByClient).toBe(true);
    const noRun = await api.fetch(`/api/conversations/${id}/cancel`, { method: 'POST' });
    expect(noRun.status).toBe(409);
    expect((await noRun.json()).error.code).toBe('no_run');
  });

  /** Cancels once `ready` holds for the events so far; returns every event of the run. */
  async function cancelWhen(id: string, prompt: string, ready: (events: StreamEvent[]) => boolean | Promise<boolean>) {
    const response = await postPrompt(api, id, prompt);
    const events: StreamEvent[] = [];
    let cancelled = false;
    for await (const { event } of readStreamEvents(response.body!)) {
      events.push(event);
      if (!cancelled && (await ready(events))) {
        cancelled = true;
        expect((await api.fetch(`/api/conversations/${id}/cancel`, { method: 'POST' })).status).toBe(202);
      }
    }
    return events;
  }

  // The idle watchdog (UPSTREAM_IDLE_TIMEOUT_MS=1500) is the only other thing that would close these requests;
  // expect.poll gives up after 1 s, so only the cancel itself can pass them.
  it('stops at once while the upstream is silent mid-answer: the request is closed without waiting for a chunk', async () => {
    const id = await newConversation(api);
    const prompt = 'question? [stall:2][reply:a b c d]';
    const events = await cancelWhen(id, prompt, (seen) => seen.filter((e) => e.type === 'delta').length === 2);
    expect(events.at(-1)).toMatchObject({ type: 'done', value: { status: 'interrupted', content: 'a b ' } });
    await expect.poll(() => mock.chatRequests().find((r) => JSON.stringify(r.body).includes('[stall:2]'))?.closedByClient).toBe(true);
  });

  it('stops at once while the router is still deciding: the router request is closed, nothing is answered', async () => {
    const id = await newConversation(api);
    const prompt = 'question? [slowrouter:60000]';
    const routerRequest = () => mock.requests.find((r) => r.kind === 'router' && JSON.stringify(r.body).includes('[slowrouter:60000]'));
    const events = await cancelWhen(id, prompt, async (seen) => {
      const last = seen.at(-1);
      if (last?.type !== 'step' || last.value.name !== 'decide_mode') return false;
      await expect.poll(routerRequest).toBeDefined();
      return true;
    });
    expect(events.at(-1)).toMatchObject({ type: 'done', value: { status: 'interrupted', content: '' } });
    expect(events.filter((e) => e.type === 'mode')).toEqual([]);
    await expect.poll(() => routerRequest()?.closedByClient).toBe(true);
    expect(mock.chatRequests().some((r) => JSON.stringify(r.body).includes('[slowrouter:60000]'))).toBe(false);
  });

  it('answers 404 to a cancel for a conversation that does not exist, and 409 when nothing runs', async () => {
    const missing = await api.fetch(`/api/conversations/${crypto.randomUUID()}/cancel`, { method: 'POST' });
    expect(missing.status).toBe(404);
    expect((await missing.json()).error.code).toBe('not_found');
    const idle = await api.fetch(`/api/conversations/${await newConversation(api)}/cancel`, { method: 'POST' });
    expect(idle.status).toBe(409);
    expect((await idle.json()).error.code).toBe('no_run');
  });
});

describe('upstream faults', () => {
  type Fault = { what: string; directive: string; code: string | null; partial: string; message?: RegExp; attempts?: number };
  // UPSTREAM_MAX_RETRIES=1 here: a failure before the first delta is tried twice; one after deltas is not retried.
  const faults: Fault[] = [
    { what: '429 with Retry-After', directive: '[fail:429]', code: 'upstream_rate_limited', partial: '', message: /rate-limiting/, attempts: 2 },
    { what: '500', directive: '[fail:500]', code: 'upstream_error', partial: '', message: /HTTP 500/, attempts: 2 },
    { what: '503', directive: '[fail:503]', code: 'upstream_error', partial: '', message: /HTTP 503/, attempts: 2 },
    { what: 'a connection reset before the headers', directive: '[fail:reset]', code: 'upstream_error', partial: '', message: /could not be reached.*OPENAI_BASE_URL/, attempts: 2 },
    { what: 'a connection dropped mid-stream', directive: '[fail:drop][reply:a b c d]', code: 'upstream_error', partial: 'a b ', attempts: 1 },
    { what: 'a stall mid-stream', directive: '[stall:2][reply:a b c d]', code: 'upstream_timeout', partial: 'a b ', attempts: 1 },
    { what: 'a malformed chunk', directive: '[fail:malformed][reply:a b c d]', code: 'upstream_malformed', partial: 'a b ', attempts: 1 },
    { what: 'a slow trickle (each chunk well inside the idle timeout)', directive: '[slow:300][reply:a b c d e f g]', code: null, partial: 'a b c d e f g', attempts: 1 },
  ];

  for (const fault of faults) {
    it(`${fault.what}: ${fault.code ?? 'completes'}, the text so far stored, the next prompt works, nothing left open`, async () => {
      const id = await newConversation(api);
      const prompt = `question ${crypto.randomUUID()}? ${fault.directive}`;
      const logsBefore = app.logs().length;
      const { events } = await runPrompt(api, id, prompt);
      const last = events.at(-1)!.event;
      expect(ofType(events, 'delta').map((e) => e.value).join('')).toBe(fault.partial);
      const stored = (await getConversation(api, id)).messages.at(-1)!;
      if (fault.code === null) {
        expect(last).toMatchObject({ type: 'done', value: { content: fault.partial, status: 'complete' } });
      } else {
        expect(last).toMatchObject({ type: 'error', value: { code: fault.code } });
        if (last.type === 'error' && fault.message) expect(last.value.message).toMatch(fault.message);
        // the text it had, with status error; or, before any text, an error item that says what went wrong
        expect(stored).toMatchObject(fault.partial ? { content: fault.partial, status: 'error' } : { type: 'error', status: 'error' });
        // one structured log line for the failure
        const lines = app.logs().slice(logsBefore).split('\n').filter((line) => line.includes('"event":"upstream_failure"'));
        expect(lines).toHaveLength(1);
        expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'error', code: fault.code });
      }
      const requests = () => mock.chatRequests().filter((r) => JSON.stringify(r.body).includes(prompt.slice(0, 45)));
      expect(requests()).toHaveLength(fault.attempts ?? 1);
      // no upstream connection is left open
      await expect.poll(() => requests().every((r) => r.finished || r.closedByClient)).toBe(true);
      const next = await runPrompt(api, id, 'and now? [reply:fine again]');
      expect(next.events.at(-1)!.event).toMatchObject({ type: 'done', value: { content: 'fine again' } });
    });
  }

  it('logs no unhandled rejection through all of it', () => {
    expect(app.logs()).not.toMatch(/unhandledRejection|UnhandledPromiseRejection|uncaughtException/);
  });
});

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
    const server = await startApp({ ...upstreamEnv(), ...(scratch ? { DATABASE_URL: scratch.url } : {}) });
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

describe('the trace of runs: GET .../runs', () => {
  const runsOf = async (client: ApiClient, id: string) => client.fetch(`/api/conversations/${id}/runs`);
  const ms = (iso: string | null) => (iso === null ? NaN : Date.parse(iso));

  const modes: [ResponseStep, string][] = [
    ['answer_question', 'How do rivers form?'],
    ['generate_poem', 'a poem about the moon'],
    ['generate_code', 'a script that prints hello'],
    ['prompt_for_more', 'hmm'],
    ['unsafe_response', 'something unsafe please'],
  ];

  for (const [mode, prompt] of modes) {
    it(`lists a ${mode} run's steps in order, with plausible times and what went upstream and came back`, async () => {
      const id = await newConversation(api);
      const { events } = await runPrompt(api, id, prompt);
      const done = ofType(events, 'done')[0]!;
      const response = await runsOf(api, id);
      expect(response.status).toBe(200);
      const text = await response.text();
      // Neither the key nor any header travels with the trace.
      expect(text).not.toContain('test-key');
      expect(text.toLowerCase()).not.toContain('authorization');
      const { runs } = RunListSchema.parse(JSON.parse(text));
      expect(runs).toHaveLength(1);
      const [run] = runs;
      expect(run).toMatchObject({ prompt, status: 'complete', mode, error: null });
      expect(run!.steps.map((s) => [s.name, s.status])).toEqual([
        ['check_safety', 'completed'],
        ['decide_mode', 'completed'],
        [mode, 'completed'],
      ]);
      const [safety, decide, respond] = run!.steps as [TraceStep, TraceStep, TraceStep];
      // Times: within the run; the two checks side by side; the answer after both.
      for (const step of run!.steps) {
        expect(ms(step.startedAt)).toBeGreaterThanOrEqual(ms(run!.startedAt));
        expect(ms(step.endedAt)).toBeGreaterThanOrEqual(ms(step.startedAt));
        expect(ms(step.endedAt)).toBeLessThanOrEqual(ms(run!.endedAt));
      }
      expect(Math.abs(ms(safety.startedAt) - ms(decide.startedAt))).toBeLessThan(50);
      expect(ms(respond.startedAt)).toBeGreaterThanOrEqual(Math.max(ms(safety.endedAt), ms(decide.endedAt)));

      // decide_mode sent exactly what the router received, and came back with the mode.
      const routerCall = mock.requests.filter((r) => r.kind === 'router').find((r) => JSON.stringify(r.body).includes(JSON.stringify(prompt)));
      expect(decide.input).toEqual(routerCall!.body);
      expect(decide.tokens).toEqual({
        input: mockUsage(routerCall!.body, '').prompt_tokens,
        output: expect.any(Number),
        estimated: false,
      });
      expect(decide.firstTokenMs).toBeGreaterThanOrEqual(0);
      expect(safety.input).toEqual({ prompt });
      expect(safety.tokens).toBeUndefined();
      expect(safety.output).toEqual(mode === 'unsafe_response' ? { safe: false, reason: expect.any(String) } : { safe: true });
      expect(respond.output).toEqual({ content: done.value.content });
      expect(respond.state).toMatchObject({ value: 'prompt', context: { responseStep: mode, response: done.value.content } });

      // The answer carries its step's tokens, in the stream and in the store alike.
      expect(done.value.tokens).toEqual(respond.tokens);
      expect((await getConversation(api, id)).messages.at(-1)).toEqual(done.value);
      if (mode === 'prompt_for_more' || mode === 'unsafe_response') {
        // Fixed texts call no model: no request, no tokens.
        expect(respond.tokens).toBeUndefined();
        expect(respond.firstTokenMs).toBeUndefined();
        return;
      }
      const chatCall = mock.chatRequests().find((r) => JSON.stringify(r.body).includes(JSON.stringify(prompt)));
      expect(respond.input).toEqual(chatCall!.body);
      const usage = mockUsage(chatCall!.body, done.value.content);
      expect(respond.tokens).toEqual({ input: usage.prompt_tokens, output: usage.completion_tokens, estimated: false });
      expect(respond.firstTokenMs).toBeGreaterThanOrEqual(0);
      expect(respond.firstTokenMs).toBeLessThanOrEqual(ms(respond.endedAt) - ms(respond.startedAt));
    });
  }

  it('lists runs newest first, marks estimated counts, and keeps failed and stopped runs with their status', async () => {
    const id = await newConversation(api);
    await runPrompt(api, id, 'first question? [nousage]');
    await runPrompt(api, id, 'second question? [fail:500]');
    const { runs } = RunListSchema.parse(await (await runsOf(api, id)).json());
    expect(runs.map((r) => [r.prompt, r.status])).toEqual([
      ['second question? [fail:500]', 'error'],
      ['first question? [nousage]', 'complete'],
    ]);
    expect(runs[0]!.error).toMatchObject({ code: 'upstream_error' });
    expect(runs[0]!.steps.at(-1)).toMatchObject({ name: 'answer_question', status: 'failed' });
    expect(runs[1]!.steps.at(-1)!.tokens).toMatchObject({ estimated: true });
    expect(runs[1]!.steps.find((s) => s.name === 'decide_mode')!.tokens).toMatchObject({ estimated: true });
  });

  it('is a 404 for a conversation of another session', async () => {
    const id = await newConversation(api);
    await runPrompt(api, id, 'mine? [reply:yes]');
    expect((await runsOf(createClient(app.url), id)).status).toBe(404);
    expect((await runsOf(api, crypto.randomUUID())).status).toBe(404);
  });
});
