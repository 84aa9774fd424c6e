import { describe, expect, it } from 'vitest';
import { RunListSchema, type ResponseStep, type TraceStep } from '@/lib/contract';
import { mockUsage, type MockUpstream } from '../mock-upstream/server';
import type { AppServer } from '../helpers/app-server';
import { type ApiClient, createClient, getConversation, newConversation, ofType, runPrompt } from '../helpers/api-client';
import { withUpstreamApp } from '../helpers/upstream-app';

let mock: MockUpstream;
let app: AppServer;
let api: ApiClient;
withUpstreamApp((started) => ({ mock, app, api } = started));

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
