import { describe, expect, it } from 'vitest';
import type { RunTrace, TraceStep } from '@/lib/contract';
import { runTokens, stateBefore, stateChanges, upstreamMessages, waterfallOf } from '@/lib/inspector/trace-view';

const at = (ms: number) => new Date(Date.UTC(2026, 0, 1) + ms).toISOString();

function step(name: TraceStep['name'], start: number, end: number | null, extra: Partial<TraceStep> = {}): TraceStep {
  return { name, status: end === null ? 'started' : 'completed', startedAt: at(start), endedAt: end === null ? null : at(end), input: {}, output: null, state: null, ...extra };
}

const state = (value: unknown, context: Record<string, unknown>) => ({ value, context });

const run: RunTrace = {
  id: 'r2',
  prompt: 'second?',
  startedAt: at(0),
  endedAt: at(1000),
  status: 'complete',
  mode: 'answer_question',
  error: null,
  steps: [
    step('check_safety', 0, 100, { state: state({ analyzing: {} }, { history: [1, 2, 3].map(() => ({ role: 'user', content: 'x' })), safety: { safe: true }, mode: null, response: '', turns: 1 }) }),
    step('decide_mode', 0, 200, { tokens: { input: 50, output: 5, estimated: false }, firstTokenMs: 200 }),
    step('answer_question', 200, 1000, {
      firstTokenMs: 300,
      tokens: { input: 60, output: 100, estimated: true },
      input: { model: 'm', messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: 'second?' }], stream: true },
      state: state('prompt', { history: [], safety: { safe: true }, mode: 'answer_question', response: 'an answer', turns: 2 }),
    }),
  ],
};

describe('the waterfall of a run', () => {
  it('places each step on the run’s time axis, the parallel checks overlapping', () => {
    const { totalMs, rows } = waterfallOf(run);
    expect(totalMs).toBe(1000);
    expect(rows.map((r) => [r.step.name, r.offsetPct, r.widthPct, r.durationMs])).toEqual([
      ['check_safety', 0, 10, 100],
      ['decide_mode', 0, 20, 200],
      ['answer_question', 20, 80, 800],
    ]);
    // first token 300 ms into a step starting at 200 ms: at half the run
    expect(rows[2]!.firstTokenPct).toBe(50);
  });

  it('gives tokens per second for streamed answers only, from the first token on', () => {
    const { rows } = waterfallOf(run);
    // 100 tokens over the 500 ms after the first
    expect(rows[2]!.tokensPerSecond).toBe(200);
    expect(rows[1]!.tokensPerSecond).toBeNull();
    expect(runTokens(run)).toEqual({ input: 110, output: 105, estimated: true });
  });

  it('draws a running step up to now', () => {
    const running = { ...run, endedAt: null, status: 'running' as const, steps: [step('check_safety', 0, null)] };
    const { rows, totalMs } = waterfallOf(running, Date.parse(at(400)));
    expect(totalMs).toBe(400);
    expect(rows[0]).toMatchObject({ widthPct: 100, durationMs: null });
  });
});

describe('a step’s state before and after', () => {
  const earlier: RunTrace = { ...run, id: 'r1', steps: [step('answer_question', 0, 10, { state: state('prompt', { history: [], turns: 1 }) })] };

  it('is the state after the last step that had ended when it began, else after the previous run', () => {
    const [safety, , answer] = run.steps as [TraceStep, TraceStep, TraceStep];
    expect(stateBefore(run, answer, earlier)).toEqual(safety.state);
    expect(stateBefore(run, safety, earlier)).toEqual(earlier.steps[0]!.state);
    expect(stateBefore(run, safety, undefined)).toBeNull();
  });

  it('reads as the fields that changed, the chat history as the turns added', () => {
    const before = state('prompt', { history: [{ role: 'user', content: 'first?' }], safety: null, mode: null, response: '', turns: 1 });
    const after = state('prompt', {
      history: [{ role: 'user', content: 'first?' }, { role: 'user', content: 'second?' }, { role: 'assistant', content: 'yes' }],
      safety: { safe: true },
      mode: 'answer_question',
      reasoning: 'A yes-or-no question.',
      response: 'yes',
      turns: 2,
    });
    expect(stateChanges(before, after)).toEqual([
      { field: 'chat history', before: '1 turn', after: '3 turns\n+ user: second?\n+ assistant: yes' },
      { field: 'safety verdict', before: '—', after: '{"safe":true}' },
      { field: 'mode', before: '—', after: 'answer_question' },
      { field: 'reasoning', before: '—', after: 'A yes-or-no question.' },
      { field: 'response', before: '—', after: 'yes' },
      { field: 'turns', before: '1', after: '2' },
    ]);
    expect(stateChanges(before, null)).toEqual([]);
  });

  it('lists the messages a step sent upstream', () => {
    expect(upstreamMessages(run.steps[2]!)).toEqual([
      { role: 'system', content: 'be brief' },
      { role: 'user', content: 'second?' },
    ]);
    expect(upstreamMessages(run.steps[0]!)).toBeNull();
  });
});
