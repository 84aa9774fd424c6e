import { describe, expect, it } from 'vitest';
import { isBusy, liveTurnReducer, STREAM_ENDED_EARLY, visibleTurn, type LiveTurn, type LiveTurnAction } from '@/lib/chat/live-turn';
import type { ChatItem, StreamEvent } from '@/lib/contract';

const answer: ChatItem = {
  id: 'a1',
  role: 'assistant',
  content: 'Roses are red',
  type: 'text',
  mode: 'generate_poem',
  status: 'complete',
  createdAt: '2026-01-01T00:00:00.000Z',
};

const run = (actions: LiveTurnAction[], from: LiveTurn | null = null) => actions.reduce(liveTurnReducer, from);
const received = (event: StreamEvent): LiveTurnAction => ({ type: 'received', events: [event] });
const started: LiveTurnAction = { type: 'started', prompt: 'a poem?', baseCount: 2 };

describe('the live turn', () => {
  it("keeps the model's reasoning apart from the answer as both stream, then takes the stored one", () => {
    const thinking = run([started, received({ type: 'reasoning', value: 'They want ' }), received({ type: 'reasoning', value: 'a poem.' })]);
    expect(thinking).toMatchObject({ reasoning: 'They want a poem.', text: '' });
    const answering = run([received({ type: 'delta', value: 'Roses' })], thinking);
    expect(answering).toMatchObject({ reasoning: 'They want a poem.', text: 'Roses' });
    const stored = { ...answer, reasoning: 'They want a poem.', reasoningMs: 2000 };
    expect(run([received({ type: 'done', value: stored })], answering)).toMatchObject({ reasoning: 'They want a poem.', result: stored });
  });

  it('shows the prompt at once, then progress, the mode and the growing text', () => {
    const first = run([started]);
    expect(first).toMatchObject({ prompt: 'a poem?', baseCount: 2, phase: 'streaming', text: '', progress: null });
    expect(isBusy(first)).toBe(true);
    const analysing = run([received({ type: 'step', value: { name: 'check_safety', status: 'started' } })], first);
    expect(analysing?.progress).toBe('Checking safety');
    const writing = run(
      [
        received({ type: 'step', value: { name: 'check_safety', status: 'completed' } }),
        received({ type: 'mode', value: 'generate_poem' }),
        received({ type: 'step', value: { name: 'generate_poem', status: 'started' } }),
        received({ type: 'delta', value: 'Roses ' }),
        received({ type: 'delta', value: 'are red' }),
      ],
      analysing,
    );
    expect(writing).toMatchObject({ mode: 'generate_poem', progress: 'Writing a poem', text: 'Roses are red' });
    // the response step completing clears its progress line
    expect(run([received({ type: 'step', value: { name: 'generate_poem', status: 'completed' } })], writing)?.progress).toBeNull();
  });

  it('keeps the progress of the response step when an analysis step completes after it started', () => {
    const turn = run([
      started,
      received({ type: 'mode', value: 'answer_question' }),
      received({ type: 'step', value: { name: 'answer_question', status: 'started' } }),
      received({ type: 'step', value: { name: 'decide_mode', status: 'completed' } }),
    ]);
    expect(turn?.progress).toBe('Answering');
  });

  it('finishes with the stored answer on done, and with the error on error', () => {
    const done = run([started, received({ type: 'delta', value: 'Roses' }), received({ type: 'done', value: answer })]);
    expect(done).toMatchObject({ phase: 'finished', result: answer, text: 'Roses are red', progress: null });
    expect(isBusy(done)).toBe(false);
    const failed = run([started, received({ type: 'error', value: { code: 'upstream_timeout', message: 'too slow' } })]);
    expect(failed).toMatchObject({ phase: 'finished', error: { code: 'upstream_timeout', message: 'too slow' } });
  });

  it('says Stopping once asked to stop, and ends as the server says', () => {
    const stopping = run([started, { type: 'stopping' }]);
    expect(stopping?.phase).toBe('stopping');
    expect(isBusy(stopping)).toBe(true);
    const stopped = run([received({ type: 'done', value: { ...answer, status: 'interrupted' } })], stopping);
    expect(stopped).toMatchObject({ phase: 'finished', result: { status: 'interrupted' } });
    // a late stop changes nothing
    expect(run([{ type: 'stopping' }], stopped)).toBe(stopped);
  });

  it('ends a turn the stream left unfinished with an error, and leaves a finished one alone', () => {
    expect(run([started, { type: 'ended' }])).toMatchObject({ phase: 'finished', error: { code: 'internal_error', message: STREAM_ENDED_EARLY } });
    const done = run([started, received({ type: 'done', value: answer })]);
    expect(run([{ type: 'ended' }], done)).toBe(done);
    expect(run([{ type: 'failed', message: 'network down' }], done)).toBe(done);
    expect(run([started, { type: 'failed', message: 'network down' }])?.error?.message).toBe('network down');
  });

  it('applies a batch of events in order, and nothing in it after the turn finished', () => {
    const turn = run([
      started,
      { type: 'received', events: [{ type: 'delta', value: 'Roses ' }, { type: 'delta', value: 'are red' }, { type: 'done', value: answer }, { type: 'delta', value: ' late' }] },
    ]);
    expect(turn).toMatchObject({ phase: 'finished', result: answer, text: 'Roses are red' });
  });

  it('picks up a run under way without showing its prompt again, and steps aside once its answer is stored', () => {
    const resumed = run([{ type: 'resumed', baseCount: 1 }]);
    expect(resumed).toMatchObject({ prompt: null, phase: 'streaming', text: '' });
    const replayed = run(
      [
        received({ type: 'chat_history', value: [] }),
        received({ type: 'mode', value: 'generate_poem' }),
        received({ type: 'delta', value: 'Roses ' }),
        received({ type: 'delta', value: 'are red' }),
      ],
      resumed,
    );
    expect(replayed?.text).toBe('Roses are red');
    const done = run([received({ type: 'done', value: answer })], replayed);
    // the stored list held the prompt (1 message); it steps aside once it also holds the answer
    expect(visibleTurn(done, 2)).toBe(done);
    expect(visibleTurn(done, 3)).toBeNull();
  });

  it('takes over a turn another page showed, exactly as it was, and goes on from there', () => {
    const shownOnHome = run([started, received({ type: 'mode', value: 'generate_poem' }), received({ type: 'delta', value: 'Roses ' })]);
    // this page had nothing yet; handed the turn, it shows what the other page showed, then the events after it
    const taken = run([{ type: 'restored', turn: shownOnHome! }, received({ type: 'delta', value: 'are red' })]);
    expect(taken).toMatchObject({ prompt: 'a poem?', baseCount: 2, mode: 'generate_poem', text: 'Roses are red', phase: 'streaming' });
  });

  it('is gone when nothing was sent after all', () => {
    expect(run([started, { type: 'withdrawn' }])).toBeNull();
    expect(isBusy(null)).toBe(false);
  });

  it('steps aside only once finished and the stored list holds its prompt and answer', () => {
    const streaming = run([started]);
    expect(visibleTurn(streaming, 4)).toBe(streaming);
    const done = run([started, received({ type: 'done', value: answer })]);
    expect(visibleTurn(done, 2)).toBe(done);
    expect(visibleTurn(done, 3)).toBe(done);
    expect(visibleTurn(done, 4)).toBeNull();
  });
});
