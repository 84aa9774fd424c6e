import { describe, expect, it, vi } from 'vitest';
import { cleanTitle, createTitleWriter, titleFromPrompt } from '@/lib/agent/titles';
import { AppError } from '@/lib/errors';
import { demoTitle } from '@/lib/llm/demo-model';

describe('a conversation title', () => {
  it('is first its first prompt, cut at a word boundary within 60 characters', () => {
    expect(titleFromPrompt('  hello\n world ')).toBe('hello world');
    const long = 'Please explain how the water cycle works in detail for a ten year old child';
    const title = titleFromPrompt(long);
    expect(title.length).toBeLessThanOrEqual(60);
    expect(long.startsWith(title)).toBe(true);
    expect(long[title.length]).toBe(' ');
    expect(titleFromPrompt('x'.repeat(100))).toHaveLength(60);
  });

  it('is cleaned of what models wrap titles in: quotes, a label, emphasis, a trailing period, more lines', () => {
    expect(cleanTitle('"How rivers form."')).toBe('How rivers form');
    expect(cleanTitle('Title: “Rivers and the sea”')).toBe('Rivers and the sea');
    expect(cleanTitle('**Title:** Tides explained')).toBe('Tides explained');
    expect(cleanTitle('# Ocean currents\n\nThis title says what the chat is about.')).toBe('Ocean currents');
    expect(cleanTitle("'Why is the sky blue?'")).toBe('Why is the sky blue?');
    expect(cleanTitle('«Les rivières»')).toBe('Les rivières');
    expect(cleanTitle('「川のでき方」。')).toBe('川のでき方');
    expect(cleanTitle('Sorting in Rust...')).toBe('Sorting in Rust');
  });

  it('keeps the quotes that are part of it, and is at most 60 characters, with no period left by the cut', () => {
    expect(cleanTitle('The word "river" in poems')).toBe('The word "river" in poems');
    const cut = cleanTitle(`${'A very long title that a model wrote. '.repeat(4)}`);
    expect(cut!.length).toBeLessThanOrEqual(60);
    expect(cut).not.toMatch(/[.\s]$/);
  });

  it('is nothing when a model wrote nothing usable', () => {
    expect(cleanTitle('')).toBeNull();
    expect(cleanTitle('  \n "" \n')).toBeNull();
    expect(cleanTitle('...')).toBeNull();
  });

  it('by the demo model: the first sentence without the request around it, capitalised', () => {
    expect(demoTitle('Write a poem about the sea')).toBe('Poem about the sea');
    expect(demoTitle('please can you write me a haiku on autumn.')).toBe('Haiku on autumn');
    expect(demoTitle('How do rivers form? I always wondered.')).toBe('How do rivers form?');
    expect(demoTitle('explain recursion!')).toBe('Explain recursion');
    expect(demoTitle('Write')).toBe('Write');
  });
});

describe('the title writer', () => {
  it('gives the cleaned title, and nothing (logged) when the model fails', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      expect(await createTitleWriter({ writeTitle: async () => '"Rivers."' })('How do rivers form?')).toBe('Rivers');
      const failing = createTitleWriter({
        writeTitle: async () => {
          throw new AppError('upstream_error');
        },
      });
      expect(await failing('How do rivers form?')).toBeNull();
      expect(warn).toHaveBeenCalledWith(expect.stringContaining('"code":"upstream_error"'));
    } finally {
      warn.mockRestore();
    }
  });
});
