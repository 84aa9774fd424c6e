import { describe, expect, it } from 'vitest';
import type { ResponseStep } from '@/lib/contract';
import { readStreamEvents } from '@/lib/stream/read-sse';
import type { MockUpstream } from '../mock-upstream/server';
import type { AppServer } from '../helpers/app-server';
import { type ApiClient, getConversation, newConversation, ofType, postPrompt, readRun, runPrompt } from '../helpers/api-client';
import { withUpstreamApp } from '../helpers/upstream-app';

let mock: MockUpstream;
let app: AppServer;
let api: ApiClient;
withUpstreamApp((started) => ({ mock, app, api } = started));

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

/**
 * The event sequence, with the two parallel steps folded together and consecutive deltas as one `delta+`. A first
 * run's `title` comes whenever the title is stored (checked on its own), so it is left out.
 */
function shape(events: { event: { type: string; value: unknown } }[]) {
  const out: string[] = [];
  for (const { event } of events) {
    if (event.type === 'title') continue;
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
      // a new conversation: titled by the model before done (the mock's title is the prompt, cleaned), unless refused
      const titles = ofType(events, 'title');
      if (step === 'unsafe_response') expect(titles).toEqual([]);
      else {
        expect(titles).toEqual([{ type: 'title', value: { title: prompt } }]);
        expect(events.findIndex((e) => e.event.type === 'title')).toBeLessThan(events.findIndex((e) => e.event.type === 'done'));
      }
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
