import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatTurn, ModelCallEvent, ResponsePart } from '@/lib/llm/types';
import { AppError } from '@/lib/errors';
import { createOpenAIModel } from '@/lib/llm/openai-model';
import { TITLE_PROMPT } from '@/lib/llm/prompts';
import { createSafetyCheck } from '@/lib/llm/safety';
import type { Env } from '@/lib/env';
import { mockUsage, startMockUpstream, type MockUpstream } from '../mock-upstream/server';

let mock: MockUpstream;
let client: OpenAI;

beforeAll(async () => {
  mock = await startMockUpstream();
  client = new OpenAI({ apiKey: 'test', baseURL: mock.baseURL, maxRetries: 1 });
});
afterAll(() => mock.close());

const model = (idleTimeoutMs = 5_000) =>
  createOpenAIModel({ client, chatModel: 'mock-chat', routerModel: 'mock-router', titleModel: 'mock-titler', idleTimeoutMs });
const ask = (content: string): ChatTurn[] => [{ role: 'user', content }];
const lastUser = (request: { body: Record<string, unknown> }) =>
  (request.body.messages as { role: string; content: string }[] | undefined)?.filter((m) => m.role === 'user').at(-1)?.content;

/** The answer's deltas and the reasoning's, in the order they came. */
async function collect(iterable: AsyncIterable<ResponsePart>) {
  const deltas: string[] = [];
  const reasoning: string[] = [];
  let error: unknown;
  try {
    for await (const part of iterable) (part.type === 'text' ? deltas : reasoning).push(part.text);
  } catch (e) {
    error = e;
  }
  return { deltas, reasoning, error };
}

describe('the openai provider through the real SDK', () => {
  it('streams content deltas as they arrive, split across odd TCP writes', async () => {
    const { deltas, error } = await collect(
      model().streamResponse('answer_question', ask('[reply:one two three four five]'), new AbortController().signal),
    );
    expect(error).toBeUndefined();
    expect(deltas).toEqual(['one ', 'two ', 'three ', 'four ', 'five']);
    const request = mock.chatRequests().at(-1);
    expect(request?.body.model).toBe('mock-chat');
    expect(request?.body.stream).toBe(true);
    expect((request?.body.messages as { role: string }[])[0]?.role).toBe('system');
  });

  for (const form of ['reasoning_content', 'reasoning', 'tags']) {
    it(`keeps reasoning sent as ${form} apart from the answer, and counts it in the tokens`, async () => {
      const calls: ModelCallEvent[] = [];
      const prompt = `[think:${form}][thought:Two and two make four.][reply:It is four.]`;
      const { deltas, reasoning, error } = await collect(
        model().streamResponse('answer_question', ask(prompt), new AbortController().signal, (call) => calls.push(call)),
      );
      expect(error).toBeUndefined();
      expect(reasoning.join('').trimEnd()).toBe('Two and two make four.');
      expect(deltas.join('')).toBe('It is four.');
      const sent = mock.chatRequests().at(-1)!.body;
      const { completion_tokens } = mockUsage(sent, 'Two and two make four. It is four.');
      expect(calls.find((call) => call.type === 'usage')).toEqual({ type: 'usage', usage: expect.objectContaining({ output: completion_tokens }) });
      // The first token is the first the model wrote, reasoning included.
      expect(calls.map((call) => call.type)).toEqual(['request', 'first_token', 'usage']);
    });
  }

  it('estimates the tokens of reasoning too when the server reports none', async () => {
    const calls: ModelCallEvent[] = [];
    const thought = 'x'.repeat(400);
    await collect(model().streamResponse('answer_question', ask(`[nousage][think:reasoning][thought:${thought}][reply:abcd]`), new AbortController().signal, (c) => calls.push(c)));
    // 400 characters of reasoning and 4 of answer: about 101 tokens at four characters each
    expect(calls.find((c) => c.type === 'usage')).toMatchObject({ usage: { output: 101, estimated: true } });
  });

  it('asks the router model with a JSON schema and returns its parsed answer', async () => {
    const chat = model();
    expect(await chat.decideMode(ask('write a poem please'), new AbortController().signal)).toEqual({
      mode: 'generate_poem',
    });
    expect(await chat.decideMode(ask('[router:garbage]'), new AbortController().signal)).toBe('no idea, sorry');
    const request = mock.requests.filter((r) => r.kind === 'router').at(-1);
    expect(request?.body.model).toBe('mock-router');
    expect(request?.body.response_format).toMatchObject({ type: 'json_schema' });
  });

  it('asks the title model for a title, with the first prompt alone, and gives back what it wrote', async () => {
    const chat = model();
    expect(await chat.writeTitle('How do rivers form? [title:"Rivers."]', new AbortController().signal)).toBe('"Rivers."');
    const request = mock.requests.filter((r) => r.kind === 'title').at(-1);
    expect(request?.body).toMatchObject({
      model: 'mock-titler',
      messages: [
        { role: 'system', content: TITLE_PROMPT },
        { role: 'user', content: 'How do rivers form? [title:"Rivers."]' },
      ],
    });
    expect(request?.body.stream).toBeUndefined();
    const failed = await chat.writeTitle('[title:fail]', new AbortController().signal).catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(AppError);
    expect((failed as AppError).code).toBe('upstream_error');
  });

  it('reports the request exactly as sent, the first token, and the tokens the server counted', async () => {
    const calls: ModelCallEvent[] = [];
    const { deltas } = await collect(
      model().streamResponse('answer_question', ask('[reply:one two three]'), new AbortController().signal, (call) => calls.push(call)),
    );
    expect(deltas).toHaveLength(3);
    const sent = mock.chatRequests().at(-1)!.body;
    expect(calls.map((c) => c.type)).toEqual(['request', 'first_token', 'usage']);
    expect(calls[0]).toEqual({ type: 'request', request: sent });
    expect(sent.stream_options).toEqual({ include_usage: true });
    const { prompt_tokens, completion_tokens } = mockUsage(sent, 'one two three');
    expect(calls[2]).toEqual({ type: 'usage', usage: { input: prompt_tokens, output: completion_tokens, estimated: false } });

    const routed: ModelCallEvent[] = [];
    await model().decideMode(ask('write a poem please'), new AbortController().signal, (call) => routed.push(call));
    const routerBody = mock.requests.filter((r) => r.kind === 'router').at(-1)!.body;
    expect(routed.map((c) => c.type)).toEqual(['request', 'first_token', 'usage']);
    expect(routed[0]).toEqual({ type: 'request', request: routerBody });
    expect(routed[2]).toMatchObject({ type: 'usage', usage: { estimated: false } });
  });

  it('estimates the tokens when the server reports none, and counts an answer cut short', async () => {
    const calls: ModelCallEvent[] = [];
    await collect(model().streamResponse('answer_question', ask('[nousage][reply:abcd efgh]'), new AbortController().signal, (c) => calls.push(c)));
    const usage = calls.find((c) => c.type === 'usage');
    // 'abcd efgh' is 9 characters: about 3 tokens at four characters each
    expect(usage).toMatchObject({ type: 'usage', usage: { output: 3, estimated: true } });
    expect(usage?.type === 'usage' && usage.usage.input).toBeGreaterThan(0);

    const controller = new AbortController();
    const cut: ModelCallEvent[] = [];
    for await (const part of model().streamResponse('answer_question', ask('[slow:30][reply:a b c d e f g h]'), controller.signal, (c) => cut.push(c))) {
      if (part.text.startsWith('b')) controller.abort();
    }
    expect(cut.at(-1)).toMatchObject({ type: 'usage', usage: { estimated: true } });
  });

  it('gives up with upstream_error after the bounded retries on HTTP 500', async () => {
    const before = mock.chatRequests().length;
    const { deltas, error } = await collect(
      model().streamResponse('answer_question', ask('[fail:500]'), new AbortController().signal),
    );
    expect(deltas).toEqual([]);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('upstream_error');
    expect(mock.chatRequests().length - before).toBe(2);
  });

  it('says what to check when the provider refuses the key or the model', async () => {
    const signal = new AbortController().signal;
    const failure = async (status: number) =>
      (await collect(model().streamResponse('answer_question', ask(`[fail:${status}]`), signal))).error as AppError;
    expect((await failure(401)).message).toBe('The model provider answered with HTTP 401. Check OPENAI_API_KEY.');
    expect((await failure(404)).message).toMatch(/HTTP 404\. Check CHAT_MODEL/);
    expect((await failure(418)).message).toBe('The model provider answered with HTTP 418.');
  });

  for (const [kind, code] of [
    ['malformed', 'upstream_malformed'],
    ['midstream', 'upstream_error'],
  ] as const) {
    it(`ends with ${code} after the partial text on a ${kind} chunk`, async () => {
      const { deltas, error } = await collect(
        model().streamResponse('answer_question', ask(`[fail:${kind}][reply:a b c d]`), new AbortController().signal),
      );
      expect(deltas.join('')).toBe('a b ');
      expect((error as AppError).code).toBe(code);
    });
  }

  it('ends with upstream_timeout when the stream goes silent', async () => {
    const { error } = await collect(
      model(300).streamResponse('answer_question', ask('[stall]'), new AbortController().signal),
    );
    expect((error as AppError).code).toBe('upstream_timeout');
    await expect.poll(() => mock.chatRequests().at(-1)?.closedByClient).toBe(true);
  });

  it('re-arms the idle watchdog on every chunk: a healthy stream longer than the timeout completes', async () => {
    const { deltas, error } = await collect(
      model(300).streamResponse('answer_question', ask('[slow:120][reply:a b c d e f g]'), new AbortController().signal),
    );
    expect(error).toBeUndefined();
    expect(deltas.join('')).toBe('a b c d e f g');
  });

  it('ends with upstream_timeout when the upstream goes silent right after the headers, before any chunk', async () => {
    const { deltas, error } = await collect(
      model(300).streamResponse('answer_question', ask('[stall:headers]'), new AbortController().signal),
    );
    expect(deltas).toEqual([]);
    expect((error as AppError).code).toBe('upstream_timeout');
    await expect.poll(() => mock.chatRequests().at(-1)?.closedByClient).toBe(true);
  });

  it('closes the upstream request at once on abort while the stream is silent mid-answer', async () => {
    const controller = new AbortController();
    // The watchdog is a minute away: only the abort itself can end this.
    const deltas = model(60_000).streamResponse('answer_question', ask('[stall:2][reply:a b c d]'), controller.signal);
    const iterator = deltas[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toEqual({ type: 'text', text: 'a ' });
    expect((await iterator.next()).value).toEqual({ type: 'text', text: 'b ' });
    const third = iterator.next();
    controller.abort();
    expect(await third).toEqual({ done: true, value: undefined });
    await expect.poll(() => mock.chatRequests().at(-1)?.closedByClient).toBe(true);
  });

  it('closes the router request at once on abort while the router is still thinking', async () => {
    const controller = new AbortController();
    const deciding = model(60_000).decideMode(ask('[slowrouter:60000] what?'), controller.signal);
    const request = () => mock.requests.find((r) => r.kind === 'router' && lastUser(r) === '[slowrouter:60000] what?');
    await expect.poll(() => request()?.kind).toBe('router');
    controller.abort();
    await expect(deciding).rejects.toBeInstanceOf(AppError);
    await expect.poll(() => request()?.closedByClient).toBe(true);
  });

  it('stops quietly when the caller aborts, and the upstream sees its request closed', async () => {
    const controller = new AbortController();
    const deltas: string[] = [];
    for await (const part of model().streamResponse('answer_question', ask('[slow:50][reply:a b c d e f g h]'), controller.signal)) {
      deltas.push(part.text);
      if (deltas.length === 2) controller.abort();
    }
    expect(deltas).toEqual(['a ', 'b ']);
    await expect.poll(() => mock.chatRequests().at(-1)?.closedByClient).toBe(true);
  });

  it('uses the moderation endpoint when asked, and keeps the demo trigger', async () => {
    const env = { SAFETY_CHECK: 'moderation' } as Env;
    const safety = createSafetyCheck(env, client);
    expect(safety.kind).toBe('moderation');
    const signal = new AbortController().signal;
    expect(await safety.check('hello [flag]', signal)).toMatchObject({ safe: false });
    expect(await safety.check('hello', signal)).toEqual({ safe: true });
    expect(await safety.check('this is unsafe', signal)).toMatchObject({ safe: false });
  });
});
