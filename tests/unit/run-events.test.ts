import { describe, expect, it } from 'vitest';
import { toAssistantMessage, toEndEvent, toStreamEvent } from '@/lib/agent/run-events';
import type { ChatItem } from '@/lib/contract';

const failure = { status: 'error' as const, error: { code: 'upstream_error' as const, message: 'The model provider failed to answer.' } };

describe('what a run sends', () => {
  it('maps each machine emission to its stream event, and holds the end of a turn back', () => {
    expect(toStreamEvent({ type: 'step', name: 'decide_mode', status: 'completed', output: { mode: 'generate_code' } })).toEqual({
      type: 'step',
      value: { name: 'decide_mode', status: 'completed' },
    });
    expect(toStreamEvent({ type: 'mode', step: 'generate_poem' })).toEqual({ type: 'mode', value: 'generate_poem' });
    expect(toStreamEvent({ type: 'delta', delta: 'hé' })).toEqual({ type: 'delta', value: 'hé' });
    expect(toStreamEvent({ type: 'turn.ended', outcome: { status: 'complete' } })).toBeNull();
  });

  it('ends with done and the stored answer, or with the error that ended the turn', () => {
    const stored: ChatItem = { id: 'm', role: 'assistant', content: 'hi', type: 'text', status: 'complete', createdAt: '2026-01-01T00:00:00.000Z' };
    expect(toEndEvent({ status: 'complete' }, stored)).toEqual({ type: 'done', value: stored });
    expect(toEndEvent({ status: 'interrupted' }, { ...stored, status: 'interrupted' })).toMatchObject({ type: 'done' });
    expect(toEndEvent(failure, stored)).toEqual({ type: 'error', value: failure.error });
  });
});

describe('what a run stores', () => {
  it('keeps the streamed text with the turn status; code for generate_code', () => {
    expect(toAssistantMessage({ status: 'complete' }, 'generate_code', { text: '```x```' })).toEqual({
      content: '```x```',
      type: 'code',
      status: 'complete',
      mode: 'generate_code',
    });
    expect(toAssistantMessage({ status: 'interrupted' }, 'generate_poem', { text: '' })).toEqual({
      content: '',
      type: 'text',
      status: 'interrupted',
      mode: 'generate_poem',
    });
    expect(toAssistantMessage(failure, 'answer_question', { text: 'partial' })).toEqual({
      content: 'partial',
      type: 'text',
      status: 'error',
      mode: 'answer_question',
    });
  });

  it('keeps a failure before any text as an error item that says what went wrong', () => {
    expect(toAssistantMessage(failure, 'answer_question', { text: '' })).toEqual({
      content: failure.error.message,
      type: 'error',
      status: 'error',
      mode: 'answer_question',
    });
    expect(toAssistantMessage(failure, null, { text: '' })).toEqual({ content: failure.error.message, type: 'error', status: 'error' });
  });

  it('keeps the reasoning apart from the answer, with how long the model thought', () => {
    expect(toAssistantMessage({ status: 'complete' }, 'answer_question', { text: 'Four.', reasoning: 'Two and two.', reasoningMs: 1200 })).toEqual({
      content: 'Four.',
      type: 'text',
      status: 'complete',
      mode: 'answer_question',
      reasoning: 'Two and two.',
      reasoningMs: 1200,
    });
    // Stopped while it thought: the reasoning so far is kept; no reasoning, no field.
    expect(toAssistantMessage({ status: 'interrupted' }, 'answer_question', { text: '', reasoning: 'Hmm', reasoningMs: null })).toEqual({
      content: '',
      type: 'text',
      status: 'interrupted',
      mode: 'answer_question',
      reasoning: 'Hmm',
    });
    expect(toAssistantMessage({ status: 'complete' }, 'answer_question', { text: 'Yes.', reasoning: '', reasoningMs: null })).not.toHaveProperty('reasoning');
  });
});
