import { describe, expect, it } from 'vitest';
import { CreatedConversationSchema, ExportDocumentSchema, RunListSchema, type StreamEvent } from '@/lib/contract';
import { readStreamEvents } from '@/lib/stream/read-sse';
import { mockUsage, type MockUpstream } from '../mock-upstream/server';
import type { AppServer } from '../helpers/app-server';
import { type ApiClient, createClient, getConversation, newConversation, ofType, postPrompt, readRun, runPrompt } from '../helpers/api-client';
import { explainSkippedPostgres, POSTGRES_URL } from '../helpers/postgres';
import { explainSkippedRedis, REDIS_URL } from '../helpers/redis';
import { withTwoInstances, withUpstreamApp } from '../helpers/upstream-app';

explainSkippedPostgres();
explainSkippedRedis();

let mock: MockUpstream;
let api: ApiClient;
withUpstreamApp((started) => ({ mock, api } = started));

const THOUGHT = 'The user asks about tides. The moon pulls the sea.';
const ANSWER = 'The moon pulls the oceans into two bulges.';
const ask = (form: string, extra = '') => `Why are there tides? [think:${form}][thought:${THOUGHT}][reply:${ANSWER}]${extra}`;

/** The messages the model was sent by the last streamed request that holds `text`. */
const sentWith = (text: string) =>
  mock
    .chatRequests()
    .filter((request) => JSON.stringify(request.body).includes(text))
    .at(-1)!.body.messages as { role: string; content: string }[];

describe('reasoning from the upstream', () => {
  for (const form of ['reasoning_content', 'reasoning', 'tags']) {
    it(`streams reasoning sent as ${form} in reasoning events, stores it apart from the answer, never sends it back`, async () => {
      const id = await newConversation(api);
      const { events } = await runPrompt(api, id, ask(form));
      // One numbered log: reasoning takes its place among the other events, all before the answer's first delta.
      expect(events.map((event) => event.id)).toEqual(events.map((_, index) => index + 1));
      const types = events.map((event) => event.event.type);
      expect(types.lastIndexOf('reasoning')).toBeLessThan(types.indexOf('delta'));
      expect(types.indexOf('reasoning')).toBeGreaterThan(types.indexOf('mode'));
      const reasoning = ofType(events, 'reasoning').map((event) => event.value).join('');
      expect(reasoning.trim()).toBe(THOUGHT);
      expect(ofType(events, 'delta').map((event) => event.value).join('')).toBe(ANSWER);

      const done = ofType(events, 'done')[0]!.value;
      expect(done).toMatchObject({ content: ANSWER, reasoning, status: 'complete' });
      expect(done.reasoningMs).toEqual(expect.any(Number));
      // The tokens shown count the reasoning (the server counted it in its completion tokens).
      const sent = sentWith(`[think:${form}]`);
      expect(done.tokens).toMatchObject({ output: mockUsage({ messages: sent }, `${THOUGHT} ${ANSWER}`).completion_tokens, estimated: false });
      const [, stored] = (await getConversation(api, id)).messages;
      expect(stored).toMatchObject({ content: ANSWER, reasoning, reasoningMs: done.reasoningMs });

      // The trace keeps it in the step's output.
      const { runs } = RunListSchema.parse(await (await api.fetch(`/api/conversations/${id}/runs`)).json());
      expect(runs[0]!.steps.find((step) => step.name === 'answer_question')?.output).toEqual({ content: ANSWER, reasoning });

      // The next turn sends the answer back as history, without its reasoning.
      await runPrompt(api, id, 'And how often? [reply:Twice a day.]');
      const history = sentWith('And how often?');
      expect(history.filter((message) => message.role === 'assistant')).toEqual([{ role: 'assistant', content: ANSWER }]);
    });
  }

  it('keeps the reasoning so far when the run is stopped while the model thinks', async () => {
    const id = await newConversation(api);
    const response = await postPrompt(api, id, 'Why is the sky blue? [think:reasoning][slow:150][thought:one two three four five six seven eight nine ten]');
    const seen: StreamEvent[] = [];
    let cancelled = false;
    for await (const { event } of readStreamEvents(response.body!)) {
      seen.push(event);
      if (!cancelled && seen.filter((e) => e.type === 'reasoning').length === 2) {
        cancelled = true;
        expect((await api.fetch(`/api/conversations/${id}/cancel`, { method: 'POST' })).status).toBe(202);
      }
    }
    const done = seen.at(-1);
    expect(done).toMatchObject({ type: 'done', value: { status: 'interrupted', content: '' } });
    const kept = done?.type === 'done' ? done.value.reasoning : undefined;
    expect(kept).toMatch(/^one two /);
    expect(kept).not.toContain('ten');
    expect((await getConversation(api, id)).messages[1]).toMatchObject({ status: 'interrupted', reasoning: kept });
  });

  it('replays the reasoning to a reader that comes back, after the event it last saw', async () => {
    const id = await newConversation(api);
    const response = await postPrompt(api, id, ask('reasoning_content', '[slow:40]'));
    const reader = readStreamEvents(response.body!)[Symbol.asyncIterator]();
    const first: StreamEvent[] = [];
    let lastId = 0;
    while (!first.some((event) => event.type === 'reasoning')) {
      const { value } = await reader.next();
      first.push(value!.event);
      lastId = value!.id;
    }
    await reader.return?.(undefined);
    const resumed = await readRun(await api.fetch(`/api/conversations/${id}/stream`, { headers: { 'Last-Event-ID': String(lastId) } }));
    const reasoning = [...first, ...resumed.events.map((event) => event.event)]
      .filter((event) => event.type === 'reasoning')
      .map((event) => event.value)
      .join('');
    expect(reasoning.trim()).toBe(THOUGHT);
    expect(ofType(resumed.events, 'done')[0]?.value.reasoning).toBe(reasoning);
  });

  it('is kept by a fork and through export and import', async () => {
    const id = await newConversation(api);
    await runPrompt(api, id, ask('tags'));
    const [, answer] = (await getConversation(api, id)).messages;
    const runId = answer!.runId!;
    const forked = await api.fetch(`/api/conversations/${id}/fork`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ runId, step: 'answer_question' }),
    });
    expect(forked.status).toBe(201);
    const forkId = CreatedConversationSchema.parse(await forked.json()).id;
    expect((await getConversation(api, forkId)).messages[1]).toMatchObject({ reasoning: answer!.reasoning, reasoningMs: answer!.reasoningMs });

    const exported = ExportDocumentSchema.parse(await (await api.fetch(`/api/conversations/${id}/export?format=json`)).json());
    expect(exported.messages[1]).toMatchObject({ reasoning: answer!.reasoning, reasoningMs: answer!.reasoningMs });
    const markdown = await (await api.fetch(`/api/conversations/${id}/export?format=markdown`)).text();
    expect(markdown).toContain(`> *Reasoning:*\n>\n> ${THOUGHT}`);
    const imported = await api.fetch('/api/conversations/import', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(exported),
    });
    expect(imported.status).toBe(201);
    const importedId = CreatedConversationSchema.parse(await imported.json()).id;
    expect((await getConversation(api, importedId)).messages[1]).toMatchObject({ content: ANSWER, reasoning: answer!.reasoning });
  });
});

describe.runIf(POSTGRES_URL && REDIS_URL)('reasoning on two instances sharing PostgreSQL and Redis', () => {
  let a: AppServer;
  let b: AppServer;
  withTwoInstances(POSTGRES_URL!, REDIS_URL!, (started) => ({ a, b } = started));

  it('reaches a reader on the other instance as reasoning events, and is stored once', async () => {
    const onA = createClient(a.url);
    const onB = createClient(b.url, onA.cookie.split('=')[1]);
    const id = await newConversation(onA);
    const started = await postPrompt(onA, id, ask('reasoning', '[slow:30]'));
    const followed = await readRun(await onB.fetch(`/api/conversations/${id}/stream`));
    const reasoning = ofType(followed.events, 'reasoning').map((event) => event.value).join('');
    expect(reasoning.trim()).toBe(THOUGHT);
    expect(ofType(followed.events, 'delta').map((event) => event.value).join('')).toBe(ANSWER);
    await readRun(started);
    expect((await getConversation(onB, id)).messages[1]).toMatchObject({ content: ANSWER, reasoning });
  });
});
