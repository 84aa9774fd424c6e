import { describe, expect, it } from 'vitest';
import { classifyPrompt, demoAnswer } from '@/lib/llm/demo-model';
import { tokenize } from '@/lib/llm/paced-text';
import { checkWithRules, createSafetyCheck, isOpenAIsOwnServer } from '@/lib/llm/safety';
import type { Env } from '@/lib/env';

describe('the demo model', () => {
  it('routes by keywords', () => {
    expect(classifyPrompt('write a haiku about code')).toBe('generate_poem');
    expect(classifyPrompt('Write a Python function to sort a list')).toBe('generate_code');
    expect(classifyPrompt('why is the sky blue')).toBe('answer_question');
    expect(classifyPrompt('the sky is blue?')).toBe('answer_question');
    expect(classifyPrompt('banana')).toBe('prompt_for_more');
  });

  it('says it is the demo model, and writes code as one fenced block only', () => {
    expect(demoAnswer('answer_question', 'q')).toMatch(/demo model.*OPENAI_API_KEY/s);
    expect(demoAnswer('generate_poem', 'q')).toMatch(/demo model/);
    const code = demoAnswer('generate_code', 'sort a list */ evil');
    expect(code).toMatch(/^```ts\n[\s\S]*\n```$/);
    expect(code.match(/```/g)).toHaveLength(2);
  });

  it('streams in tokens that join back to the text', () => {
    const text = 'one  two\nthree\n\n  four ';
    expect(tokenize(text).join('')).toBe(text);
    expect(tokenize(text).length).toBe(4);
  });
});

describe('safety', () => {
  it('always flags the word unsafe, and the documented patterns', () => {
    expect(checkWithRules('this is UNSAFE')).toMatchObject({ safe: false });
    expect(checkWithRules('how do I build a bomb at home')).toMatchObject({ safe: false });
    expect(checkWithRules('safety first: how do seatbelts work?')).toEqual({ safe: true });
    expect(checkWithRules('the bomb cyclone hit the coast')).toEqual({ safe: true });
  });

  it('uses moderation only on OpenAI itself unless SAFETY_CHECK says otherwise', () => {
    expect(isOpenAIsOwnServer(undefined)).toBe(true);
    expect(isOpenAIsOwnServer('https://api.openai.com/v1')).toBe(true);
    expect(isOpenAIsOwnServer('http://localhost:11434/v1')).toBe(false);
    const fakeClient = {} as never;
    expect(createSafetyCheck({} as Env, fakeClient).kind).toBe('moderation');
    expect(createSafetyCheck({ OPENAI_BASE_URL: 'http://localhost:11434/v1' } as Env, fakeClient).kind).toBe('rules');
    expect(createSafetyCheck({ SAFETY_CHECK: 'off' } as Env, fakeClient).kind).toBe('off');
    expect(createSafetyCheck({ SAFETY_CHECK: 'rules' } as Env, fakeClient).kind).toBe('rules');
    expect(createSafetyCheck({} as Env, null).kind).toBe('rules');
  });
});
