import type { ChatItem } from '@/lib/contract';
import { MODE_BADGE } from '@/lib/chat/labels';

/** What is said of an answer that did not end well, under it. */
const ENDINGS: Partial<Record<ChatItem['status'], string>> = {
  interrupted: '> *Interrupted: this answer was stopped before it was finished.*',
  error: '> *This answer ended with an error.*',
};

/** Text as a Markdown block quote, every line of it (blank ones too, so the quote holds together). */
const quoted = (text: string) =>
  text
    .split('\n')
    .map((line) => (line ? `> ${line}` : '>'))
    .join('\n');

/**
 * A conversation as a Markdown file to keep or send: the title as its heading, then each message under its role
 * (an answer with its mode). Answers are Markdown already, so their code blocks stay fenced; prompts are kept as
 * typed, in a block of their own when they hold a fence.
 */
export function conversationToMarkdown(title: string, messages: ChatItem[], exportedAt: Date): string {
  const parts = [`# ${title.trim() || 'Conversation'}`, `*Exported from Sluice on ${exportedAt.toISOString().slice(0, 10)}.*`];
  for (const message of messages) {
    if (message.role === 'user') {
      parts.push('## You', message.content.includes('```') ? `\`\`\`\`text\n${message.content}\n\`\`\`\`` : message.content);
      if (message.attachments?.length) parts.push(`*Attached: ${message.attachments.map((file) => file.name).join(', ')}*`);
      continue;
    }
    parts.push(message.mode ? `## Assistant (${MODE_BADGE[message.mode]})` : '## Assistant');
    // The reasoning before the answer, quoted, so the answer still reads on its own.
    if (message.reasoning?.trim()) parts.push(`> *Reasoning:*\n>\n${quoted(message.reasoning.trim())}`);
    if (message.type === 'error') parts.push(`> **Error:** ${message.content}`);
    else {
      if (message.content) parts.push(message.content.trimEnd());
      const ending = ENDINGS[message.status];
      if (ending) parts.push(ending);
    }
  }
  return `${parts.join('\n\n')}\n`;
}
