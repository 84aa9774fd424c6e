import { describe, expect, it } from 'vitest';
import type { ChatItem } from '@/lib/contract';
import { attachmentDisposition } from '@/lib/export/file-name';
import { conversationToMarkdown } from '@/lib/export/markdown';

const item = (fields: Partial<ChatItem> & Pick<ChatItem, 'role' | 'content'>): ChatItem => ({
  id: crypto.randomUUID(),
  type: 'text',
  status: 'complete',
  createdAt: '2026-12-03T10:00:00.000Z',
  ...fields,
});

describe('a conversation as Markdown', () => {
  it('keeps a prompt that holds a fence in a block of its own, so it cannot break the file', () => {
    const markdown = conversationToMarkdown(
      'Code questions',
      [item({ role: 'user', content: 'What does this do?\n```js\nx++\n```' }), item({ role: 'assistant', content: 'It adds one.', mode: 'answer_question' })],
      new Date('2026-12-03T12:00:00Z'),
    );
    expect(markdown).toBe(
      '# Code questions\n\n*Exported from Sluice on 2026-12-03.*\n\n## You\n\n````text\nWhat does this do?\n```js\nx++\n```\n````\n\n## Assistant (Question)\n\nIt adds one.\n',
    );
  });

  it('names an untitled conversation, and marks what did not end well', () => {
    const markdown = conversationToMarkdown(
      '  ',
      [
        item({ role: 'user', content: 'hi' }),
        item({ role: 'assistant', content: 'Half an', status: 'interrupted' }),
        item({ role: 'assistant', content: 'cut off', status: 'error' }),
        item({ role: 'assistant', content: 'The model provider answered with HTTP 500.', type: 'error', status: 'error' }),
      ],
      new Date(),
    );
    expect(markdown.split('\n')[0]).toBe('# Conversation');
    expect(markdown).toContain('Half an\n\n> *Interrupted: this answer was stopped before it was finished.*');
    expect(markdown).toContain('cut off\n\n> *This answer ended with an error.*');
    expect(markdown).toContain('## Assistant\n\n> **Error:** The model provider answered with HTTP 500.');
  });

  it("quotes an answer's reasoning before it, every line, so the answer reads on its own", () => {
    const markdown = conversationToMarkdown(
      'Sums',
      [
        item({ role: 'user', content: '2+2?', attachments: [{ id: crypto.randomUUID(), name: 'sum.png', type: 'image/png', size: 3 }] }),
        item({ role: 'assistant', content: 'Four.', reasoning: '\nTwo and two.\n\nThat is four.\n', reasoningMs: 1200 }),
      ],
      new Date('2026-12-03T12:00:00Z'),
    );
    expect(markdown).toContain('## You\n\n2+2?\n\n*Attached: sum.png*\n\n');
    expect(markdown).toContain('## Assistant\n\n> *Reasoning:*\n>\n> Two and two.\n>\n> That is four.\n\nFour.\n');
  });
});

describe('the file name of a download', () => {
  it('is the title, made safe for every client, and written exactly for those that read filename*', () => {
    expect(attachmentDisposition('How rivers form', 'md')).toBe(`attachment; filename="How rivers form.md"; filename*=UTF-8''How%20rivers%20form.md`);
    expect(attachmentDisposition('a/b\\c:"d"\n\u0000e', 'json')).toBe(`attachment; filename="a b c d e.json"; filename*=UTF-8''a%20b%20c%20d%20e.json`);
    expect(attachmentDisposition('川の話 (1)', 'md')).toBe(`attachment; filename="(1).md"; filename*=UTF-8''%E5%B7%9D%E3%81%AE%E8%A9%B1%20%281%29.md`);
    expect(attachmentDisposition('', 'md')).toMatch(/^attachment; filename="conversation\.md"/);
    expect(attachmentDisposition('x'.repeat(500), 'md')).toMatch(new RegExp(`filename="${'x'.repeat(100)}\\.md"`));
  });
});
