import { describe, expect, it } from 'vitest';
import { createActor, fromPromise, waitFor, type Actor } from 'xstate';
import {
  agentMachine,
  toMode,
  toSafetyVerdict,
  type AgentEmitted,
  type AnalysisInput,
  type RespondInput,
} from '@/lib/agent/machine';
import type { SafetyVerdict } from '@/lib/llm/types';
import { MODES, type ResponseStep } from '@/lib/contract';
import { AppError } from '@/lib/errors';

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Fakes = {
  safety?: (input: AnalysisInput) => Promise<SafetyVerdict>;
  mode?: (input: AnalysisInput) => Promise<unknown>;
  respond?: (input: RespondInput, signal: AbortSignal) => Promise<string>;
  /** PRE_STEPS=sequential: the mode is decided after the safety check. */
  sequential?: boolean;
};

/** Streams `words` one at a time to the machine, as a real provider does. */
async function streamWords(input: RespondInput, words: string[], signal?: AbortSignal, gapMs = 0) {
  let text = '';
  for (const word of words) {
    if (signal?.aborted) break;
    if (gapMs) await delay(gapMs);
    input.parent.send({ type: 'response.delta', delta: word });
    text += word;
  }
  return text;
}

function startAgent(fakes: Fakes = {}) {
  const machine = agentMachine.provide({
    actors: {
      checkSafety: fromPromise<SafetyVerdict, AnalysisInput>(async ({ input }) =>
        fakes.safety ? fakes.safety(input) : { safe: true },
      ),
      decideMode: fromPromise<unknown, AnalysisInput>(async ({ input }) =>
        fakes.mode ? fakes.mode(input) : 'answer_question',
      ),
      respond: fromPromise<string, RespondInput>(async ({ input, signal }) =>
        fakes.respond ? fakes.respond(input, signal) : streamWords(input, [`[${input.step}] `, 'hello']),
      ),
    },
    ...(fakes.sequential ? { guards: { preStepsInParallel: () => false } } : {}),
  });
  const actor = createActor(machine, { input: {} });
  const emitted: AgentEmitted[] = [];
  actor.on('*', (event) => emitted.push(event));
  actor.start();
  return { actor, emitted };
}

async function runTurn(actor: Actor<typeof agentMachine>, prompt: string) {
  const turnsBefore = actor.getSnapshot().context.turns;
  actor.send({ type: 'user.prompt', prompt });
  return waitFor(actor, (s) => s.matches('prompt') && s.context.turns === turnsBefore + 1, {
    timeout: 5_000,
  });
}

const stepsOf = (emitted: AgentEmitted[]) =>
  emitted.filter((e) => e.type === 'step').map((e) => `${e.name}:${e.status}`);

describe('agent machine', () => {
  for (const mode of MODES) {
    it(`a safe prompt routed to ${mode} streams from ${mode} and returns to prompt`, async () => {
      const { actor, emitted } = startAgent({ mode: async () => mode });
      const snapshot = await runTurn(actor, 'hello there');

      expect(snapshot.context.responseStep).toBe(mode);
      expect(snapshot.context.outcome).toEqual({ status: 'complete' });
      expect(snapshot.context.response).toBe(`[${mode}] hello`);
      const modeEvents = emitted.filter((e) => e.type === 'mode');
      expect(modeEvents).toEqual([{ type: 'mode', step: mode }]);
      const deltas = emitted.filter((e) => e.type === 'delta').map((e) => e.delta);
      expect(deltas).toEqual([`[${mode}] `, 'hello']);
      const steps = stepsOf(emitted);
      expect(steps).toContain('check_safety:completed');
      expect(steps).toContain('decide_mode:completed');
      expect(steps.slice(-2)).toEqual([`${mode}:started`, `${mode}:completed`]);
      // the mode is announced before the response step starts and before any delta
      const modeIndex = emitted.findIndex((e) => e.type === 'mode');
      expect(modeIndex).toBeLessThan(emitted.findIndex((e) => e.type === 'delta'));
      expect(snapshot.context.history).toEqual([
        { role: 'user', content: 'hello there' },
        { role: 'assistant', content: `[${mode}] hello` },
      ]);
    });

    it(`an unsafe prompt wins over the ${mode} mode`, async () => {
      const { actor, emitted } = startAgent({
        safety: async () => ({ safe: false, reason: 'flagged' }),
        mode: async () => mode,
      });
      const snapshot = await runTurn(actor, 'something unsafe');
      expect(snapshot.context.responseStep).toBe('unsafe_response');
      expect(emitted.filter((e) => e.type === 'mode')).toEqual([{ type: 'mode', step: 'unsafe_response' }]);
      expect(stepsOf(emitted)).not.toContain(`${mode}:started`);
    });
  }

  it('a regenerate reuses the verdict and mode it is given: only the response step runs', async () => {
    const asked: string[] = [];
    const { actor, emitted } = startAgent({
      safety: async () => (asked.push('safety'), { safe: true }),
      mode: async () => (asked.push('mode'), 'answer_question'),
    });
    actor.send({ type: 'user.regenerate', prompt: 'a poem about herons', safety: { safe: true }, mode: 'generate_poem' });
    const snapshot = await waitFor(actor, (s) => s.matches('prompt') && s.context.turns === 1, { timeout: 5_000 });
    expect(asked).toEqual([]);
    expect(stepsOf(emitted)).toEqual(['generate_poem:started', 'generate_poem:completed']);
    expect(snapshot.context).toMatchObject({ prompt: 'a poem about herons', mode: 'generate_poem', safety: { safe: true }, response: '[generate_poem] hello' });
    expect(snapshot.context.history.map((t) => t.role)).toEqual(['user', 'assistant']);
    // an unsafe verdict still wins over the mode
    actor.send({ type: 'user.regenerate', prompt: 'again', safety: { safe: false, reason: 'no' }, mode: 'generate_code' });
    const refused = await waitFor(actor, (s) => s.matches('prompt') && s.context.turns === 2, { timeout: 5_000 });
    expect(refused.context.responseStep).toBe('unsafe_response');
  });

  it('falls back to prompt_for_more when the router answer is unparseable', async () => {
    for (const raw of ['write_a_novel', '{"mode": 3}', null, { mode: 'sing' }, 42]) {
      const { actor } = startAgent({ mode: async () => raw });
      const snapshot = await runTurn(actor, 'hmm');
      expect(snapshot.context.responseStep).toBe('prompt_for_more');
    }
    expect(toMode({ mode: 'generate_code' })).toBe('generate_code');
    expect(toMode(' generate_poem\n')).toBe('generate_poem');
  });

  it('fails closed: a safety check without a verdict counts as unsafe', async () => {
    const { actor } = startAgent({ safety: async () => ({}) as SafetyVerdict, mode: async () => 'generate_code' });
    const snapshot = await runTurn(actor, 'x');
    expect(snapshot.context.responseStep).toBe('unsafe_response');
    expect(toSafetyVerdict({ safe: true })).toEqual({ safe: true });
    expect(toSafetyVerdict('yes')).toMatchObject({ safe: false });
  });

  for (const order of ['safety first', 'mode first'] as const) {
    it(`waits for both parallel steps whichever finishes first (${order})`, async () => {
      const [safetyMs, modeMs] = order === 'safety first' ? [5, 40] : [40, 5];
      const { actor, emitted } = startAgent({
        safety: async () => (await delay(safetyMs), { safe: false }),
        mode: async () => (await delay(modeMs), 'generate_code'),
      });
      const snapshot = await runTurn(actor, 'x');
      expect(snapshot.context.responseStep).toBe('unsafe_response');
      const steps = stepsOf(emitted);
      const firstDone = order === 'safety first' ? 'check_safety:completed' : 'decide_mode:completed';
      const secondDone = order === 'safety first' ? 'decide_mode:completed' : 'check_safety:completed';
      expect(steps.indexOf(firstDone)).toBeLessThan(steps.indexOf(secondDone));
      expect(steps.indexOf(secondDone)).toBeLessThan(steps.indexOf('unsafe_response:started'));
      // both started before either finished: they run at the same time
      expect(steps.slice(0, 2).sort()).toEqual(['check_safety:started', 'decide_mode:started']);
    });
  }

  it('one after the other (sequential): the mode is decided only once the safety check has its verdict', async () => {
    const calls: string[] = [];
    const { actor, emitted } = startAgent({
      sequential: true,
      safety: async () => (calls.push('safety:start'), await delay(20), calls.push('safety:end'), { safe: true }),
      mode: async () => (calls.push('mode:start'), 'generate_poem'),
    });
    const snapshot = await runTurn(actor, 'a poem');
    expect(calls).toEqual(['safety:start', 'safety:end', 'mode:start']);
    expect(snapshot.context.responseStep).toBe('generate_poem');
    expect(stepsOf(emitted).slice(0, 4)).toEqual([
      'check_safety:started',
      'check_safety:completed',
      'decide_mode:started',
      'decide_mode:completed',
    ]);
  });

  it('one after the other (sequential): a refused prompt makes no mode decision at all', async () => {
    let modeCalls = 0;
    const { actor, emitted } = startAgent({
      sequential: true,
      safety: async ({ prompt }) => (prompt === 'refuse me' ? { safe: false, reason: 'no' } : { safe: true }),
      mode: async () => (modeCalls++, 'answer_question'),
    });
    const snapshot = await runTurn(actor, 'refuse me');
    expect(modeCalls).toBe(0);
    expect(snapshot.context.responseStep).toBe('unsafe_response');
    expect(stepsOf(emitted)).not.toContain('decide_mode:started');
    // the verdict of one turn is not the next one's: a safe prompt then gets its mode decided
    const next = await runTurn(actor, 'a question?');
    expect(modeCalls).toBe(1);
    expect(next.context.responseStep).toBe('answer_question');
  });

  it('a failing response step ends the turn with an error and keeps the partial text', async () => {
    const { actor, emitted } = startAgent({
      respond: async (input) => {
        input.parent.send({ type: 'response.delta', delta: 'partial' });
        throw new AppError('upstream_error', 'upstream said 500');
      },
    });
    const snapshot = await runTurn(actor, 'q');
    expect(snapshot.context.outcome).toEqual({
      status: 'error',
      error: { code: 'upstream_error', message: 'upstream said 500' },
    });
    expect(snapshot.context.response).toBe('partial');
    expect(stepsOf(emitted).at(-1)).toBe('answer_question:failed');
  });

  it('a failing analysis step fails that step and interrupts the other one', async () => {
    const { actor, emitted } = startAgent({
      safety: async () => {
        throw new Error('boom with secret details');
      },
      mode: () => delay(200).then(() => 'answer_question'),
    });
    const snapshot = await runTurn(actor, 'q');
    expect(snapshot.context.outcome).toEqual({
      status: 'error',
      error: { code: 'internal_error', message: 'Something went wrong on our side.' },
    });
    expect(stepsOf(emitted)).toEqual([
      'check_safety:started',
      'decide_mode:started',
      'check_safety:failed',
      'decide_mode:interrupted',
    ]);
    expect(emitted.some((e) => e.type === 'mode')).toBe(false);
  });

  it('cancel during a response stops the actor (its signal aborts) and keeps the partial text', async () => {
    let seenSignal: AbortSignal | undefined;
    const { actor, emitted } = startAgent({
      respond: (input, signal) => {
        seenSignal = signal;
        return streamWords(input, ['one ', 'two ', 'three ', 'four ', 'five'], signal, 30);
      },
    });
    actor.send({ type: 'user.prompt', prompt: 'count' });
    await waitFor(actor, (s) => s.context.response.startsWith('one two'), { timeout: 5_000 });
    actor.send({ type: 'cancel' });
    const snapshot = actor.getSnapshot();
    expect(snapshot.matches('prompt')).toBe(true);
    expect(snapshot.context.outcome).toEqual({ status: 'interrupted' });
    expect(seenSignal?.aborted).toBe(true);
    expect(stepsOf(emitted).at(-1)).toBe('answer_question:interrupted');
    const partial = snapshot.context.response;
    await delay(100);
    expect(actor.getSnapshot().context.response).toBe(partial);
    expect(snapshot.context.history.at(-1)).toEqual({ role: 'assistant', content: partial });
  });

  it('cancel during the analysis interrupts both running steps and answers nothing', async () => {
    const { actor, emitted } = startAgent({
      safety: () => delay(200).then(() => ({ safe: true })),
      mode: () => delay(200).then(() => 'answer_question'),
    });
    actor.send({ type: 'user.prompt', prompt: 'q' });
    actor.send({ type: 'cancel' });
    const snapshot = actor.getSnapshot();
    expect(snapshot.matches('prompt')).toBe(true);
    expect(snapshot.context.outcome).toEqual({ status: 'interrupted' });
    expect(stepsOf(emitted)).toEqual([
      'check_safety:started',
      'decide_mode:started',
      'check_safety:interrupted',
      'decide_mode:interrupted',
    ]);
    // a late result from the stopped actors changes nothing
    await delay(250);
    expect(actor.getSnapshot().context.mode).toBeNull();
    expect(emitted.some((e) => e.type === 'mode')).toBe(false);
  });

  it('keeps the history across turns and passes it to the model', async () => {
    const seen: RespondInput['history'][] = [];
    const { actor } = startAgent({
      respond: async (input) => {
        seen.push(input.history);
        return streamWords(input, [`re: ${input.prompt}`]);
      },
    });
    await runTurn(actor, 'first');
    const snapshot = await runTurn(actor, 'second');
    expect(seen[1]).toEqual([
      { role: 'user', content: 'first' },
      { role: 'assistant', content: 're: first' },
      { role: 'user', content: 'second' },
    ]);
    expect(snapshot.context.turns).toBe(2);
  });

  it("keeps the model's reasoning apart: emitted and in the step's output, never in the history sent back", async () => {
    const seen: RespondInput['history'][] = [];
    const { actor, emitted } = startAgent({
      respond: async (input) => {
        seen.push(input.history);
        input.parent.send({ type: 'response.reasoning', delta: 'Hmm, ' });
        input.parent.send({ type: 'response.reasoning', delta: 'a greeting.' });
        return streamWords(input, ['Hello', '!']);
      },
    });
    const first = await runTurn(actor, 'hi');
    expect(emitted.filter((e) => e.type === 'reasoning' || e.type === 'delta').map((e) => `${e.type}:${'delta' in e ? e.delta : ''}`)).toEqual([
      'reasoning:Hmm, ',
      'reasoning:a greeting.',
      'delta:Hello',
      'delta:!',
    ]);
    expect(first.context.reasoning).toBe('Hmm, a greeting.');
    expect(emitted).toContainEqual({ type: 'step', name: 'answer_question', status: 'completed', output: { content: 'Hello!', reasoning: 'Hmm, a greeting.' } });
    await runTurn(actor, 'again');
    expect(seen[1]).toEqual([
      { role: 'user', content: 'hi' },
      { role: 'assistant', content: 'Hello!' },
      { role: 'user', content: 'again' },
    ]);
  });

  it('a cancel while the model reasons keeps the reasoning so far in the interrupted step', async () => {
    const { actor, emitted } = startAgent({
      respond: async (input, signal) => {
        input.parent.send({ type: 'response.reasoning', delta: 'Let me think' });
        await new Promise((resolve) => signal.addEventListener('abort', resolve));
        return '';
      },
    });
    actor.send({ type: 'user.prompt', prompt: 'deep question' });
    await waitFor(actor, (s) => s.context.reasoning !== '', { timeout: 5_000 });
    actor.send({ type: 'cancel' });
    expect(emitted).toContainEqual({ type: 'step', name: 'answer_question', status: 'interrupted', output: { content: '', reasoning: 'Let me think' } });
    expect(actor.getSnapshot().context.history.at(-1)).toEqual({ role: 'user', content: 'deep question' });
  });

  it('restores from a persisted snapshot taken at rest and continues the conversation', async () => {
    const { actor } = startAgent();
    await runTurn(actor, 'first');
    const persisted = JSON.parse(JSON.stringify(actor.getPersistedSnapshot()));
    actor.stop();

    const seen: RespondInput['history'][] = [];
    const restored = createActor(
      agentMachine.provide({
        actors: {
          checkSafety: fromPromise<SafetyVerdict, AnalysisInput>(async () => ({ safe: true })),
          decideMode: fromPromise<unknown, AnalysisInput>(async () => 'generate_poem'),
          respond: fromPromise<string, RespondInput>(async ({ input }) => {
            seen.push(input.history);
            return streamWords(input, ['poem']);
          }),
        },
      }),
      { snapshot: persisted, input: {} },
    ).start();
    const step: ResponseStep = 'generate_poem';
    const snapshot = await runTurn(restored, 'second');
    expect(snapshot.context.responseStep).toBe(step);
    expect(seen[0]?.map((t) => t.content)).toEqual(['first', '[answer_question] hello', 'second']);
  });
});
