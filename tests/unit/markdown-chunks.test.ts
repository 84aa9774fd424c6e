import { parseMarkdownIntoBlocks } from 'streamdown';
import { describe, expect, it } from 'vitest';
import { chunkStreamingMarkdown, createMarkdownChunker } from '@/lib/chat/markdown-chunks';
import { pacedReply } from '../mock-upstream/server';

describe('chunking a streamed Markdown answer', () => {
  const answer = pacedReply(3_000, 'markdown');

  it('keeps the whole text, and cuts only between blocks', () => {
    const { complete, live } = chunkStreamingMarkdown(answer, undefined, 4);
    expect([...complete, live].join('')).toBe(answer);
    expect(complete.length).toBeGreaterThan(10);
    for (const chunk of complete) expect(parseMarkdownIntoBlocks(chunk)).toHaveLength(4);
  });

  it('never changes a complete chunk as the text grows: each renders once', () => {
    let previous: string[] = [];
    for (let end = 1; end <= answer.length; end += 97) {
      const { complete } = chunkStreamingMarkdown(answer.slice(0, end), undefined, 4);
      expect(complete.slice(0, previous.length)).toEqual(previous);
      previous = complete;
    }
    expect(previous.length).toBeGreaterThan(10);
  });

  it('cuts a growing text from its previous chunks exactly as from scratch', () => {
    let previous = chunkStreamingMarkdown('', undefined, 4);
    for (let end = 1; end <= answer.length; end += 53) {
      const text = answer.slice(0, end);
      previous = chunkStreamingMarkdown(text, previous, 4);
      expect(previous).toEqual(chunkStreamingMarkdown(text, undefined, 4));
    }
    expect(previous.complete.length).toBeGreaterThan(10);
  });

  it('a chunker follows one growing answer call by call', () => {
    const chunk = createMarkdownChunker(4);
    for (let end = 1; end <= answer.length; end += 211) {
      expect(chunk(answer.slice(0, end))).toEqual(chunkStreamingMarkdown(answer.slice(0, end), undefined, 4));
    }
  });

  it('starts afresh when the text is not a continuation of the previous one', () => {
    const before = chunkStreamingMarkdown(answer, undefined, 4);
    const other = '# Another answer\n\n' + 'line\n\n'.repeat(20);
    expect(chunkStreamingMarkdown(other, before, 4)).toEqual(chunkStreamingMarkdown(other, undefined, 4));
  });

  it('keeps an open code fence, blank lines and all, in the live part', () => {
    const text = '# Title\n\n' + 'para\n\n'.repeat(8) + '```ts\nconst a = 1;\n\nconst b = 2;\n';
    const { complete, live } = chunkStreamingMarkdown(text, undefined, 4);
    expect(complete).toHaveLength(2);
    expect(live.endsWith('```ts\nconst a = 1;\n\nconst b = 2;\n')).toBe(true);
  });
});
