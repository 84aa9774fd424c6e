import { describe, expect, it } from 'vitest';
import { createThinkTagSplitter, reasoningOfDelta } from '@/lib/llm/reasoning';
import type { ResponsePart } from '@/lib/llm/types';

/** Feeds the chunks through one splitter and joins what came out of each kind. */
function split(chunks: string[]) {
  const splitter = createThinkTagSplitter();
  const parts: ResponsePart[] = [...chunks.flatMap((chunk) => splitter.push(chunk)), ...splitter.end()];
  const join = (type: ResponsePart['type']) => parts.filter((part) => part.type === type).map((part) => part.text).join('');
  return { reasoning: join('reasoning'), text: join('text'), parts };
}

const ANSWER = '<think>\nThe user greets me. I should greet back.\n</think>\n\nHello! How can I help?';

describe('an answer that starts with <think> ... </think>', () => {
  it('is split into its reasoning and its answer, the whitespace around the block dropped', () => {
    expect(split([ANSWER])).toMatchObject({ reasoning: 'The user greets me. I should greet back.\n', text: 'Hello! How can I help?' });
  });

  it('splits the same wherever the chunks cut the text, the tags included', () => {
    const whole = split([ANSWER]);
    for (let cut = 1; cut < ANSWER.length; cut++) {
      const halves = split([ANSWER.slice(0, cut), ANSWER.slice(cut)]);
      expect([cut, halves.reasoning, halves.text]).toEqual([cut, whole.reasoning, whole.text]);
    }
    const characters = split([...ANSWER]);
    expect([characters.reasoning, characters.text]).toEqual([whole.reasoning, whole.text]);
  });

  it('streams the reasoning as it comes, holding back only what could be the closing tag', () => {
    const splitter = createThinkTagSplitter();
    expect(splitter.push('<thi')).toEqual([]);
    expect(splitter.push('nk>Let me see')).toEqual([{ type: 'reasoning', text: 'Let me see' }]);
    expect(splitter.push(' more</th')).toEqual([{ type: 'reasoning', text: ' more' }]);
    expect(splitter.push('ink>Yes')).toEqual([{ type: 'text', text: 'Yes' }]);
  });

  it('passes an answer through untouched when it does not start with the tag', () => {
    for (const answer of ['Hello <think>not reasoning</think>', '<div>html</div>', '<', '  indented', '<thinking>x</thinking>']) {
      expect(split([...answer])).toEqual({ reasoning: '', text: answer, parts: expect.any(Array) });
    }
  });

  it('takes an unclosed block (the stream stopped while the model thought) as reasoning', () => {
    expect(split(['<think>Still thinking about i', 't</thi'])).toMatchObject({ reasoning: 'Still thinking about it</thi', text: '' });
    expect(split(['  <think>'])).toMatchObject({ reasoning: '', text: '' });
  });
});

describe('reasoning in a field of its own', () => {
  it('is read from reasoning_content or reasoning, whichever the server fills', () => {
    expect(reasoningOfDelta({ reasoning_content: 'a', content: null })).toBe('a');
    expect(reasoningOfDelta({ reasoning: 'b', content: '' })).toBe('b');
    expect(reasoningOfDelta({ reasoning_content: null, reasoning: 'c' })).toBe('c');
    expect(reasoningOfDelta({ content: 'answer' })).toBe('');
    expect(reasoningOfDelta(undefined)).toBe('');
    expect(reasoningOfDelta({ reasoning: { nested: true } })).toBe('');
  });
});
