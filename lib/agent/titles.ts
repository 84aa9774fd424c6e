/**
 * A conversation's title: its first prompt at first, then (beside its first run) one a model wrote, unless the
 * person renamed it first. Pure functions, and the writer that asks the model and never throws.
 */
import { toAppError } from '@/lib/errors';
import type { ChatModel } from '@/lib/llm/types';

export const TITLE_MAX = 60;

/** Cut to `max` characters at a word boundary (mid-word only when one word is longer). */
function cutAtWord(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max + 1);
  const lastSpace = cut.lastIndexOf(' ');
  return (lastSpace > 0 ? cut.slice(0, lastSpace) : text.slice(0, max)).trimEnd();
}

/** A conversation's title until a better one comes: its first prompt, cut to 60 characters at a word boundary. */
export function titleFromPrompt(prompt: string, max = TITLE_MAX): string {
  return cutAtWord(prompt.replace(/\s+/g, ' ').trim(), max);
}

const QUOTE_PAIRS: [string, string][] = [
  ['"', '"'],
  ["'", "'"],
  ['“', '”'],
  ['‘', '’'],
  ['«', '»'],
  ['„', '“'],
  ['「', '」'],
  ['『', '』'],
  ['`', '`'],
  ['**', '**'],
  ['*', '*'],
];
const TRAILING_PERIODS = /[.。．…]+$/u;

function unquote(text: string): string {
  for (const [open, close] of QUOTE_PAIRS) {
    if (text.length >= open.length + close.length && text.startsWith(open) && text.endsWith(close)) {
      return unquote(text.slice(open.length, -close.length).trim());
    }
  }
  return text;
}

/**
 * What a model wrote, as a title: its first line without a "Title:" label, quotes, Markdown emphasis or a
 * trailing period, at most 60 characters. Null when nothing is left.
 */
export function cleanTitle(raw: string): string | null {
  const line = raw.split(/\r?\n/).map((l) => l.trim()).find((l) => l !== '') ?? '';
  let title = line.replace(/^#+\s*/, '').replace(/^\**\s*title\s*\**\s*:\s*\**\s*/i, '');
  title = unquote(title.replace(/\s+/g, ' ').replace(TRAILING_PERIODS, '').trim());
  // Quotes inside are the title's own; a stray one at either end is the model's.
  title = title.replace(/^["'“”‘’«»`]+/u, '').replace(/["'“”‘’«»`]+$/u, '');
  title = cutAtWord(title.replace(TRAILING_PERIODS, '').trim(), TITLE_MAX).replace(TRAILING_PERIODS, '').trim();
  return title === '' ? null : title;
}

/** How long a title may take before it is given up: it is never waited for, so this only bounds the request. */
const TITLE_TIMEOUT_MS = 60_000;

/** Writes a title for a first prompt with the model; null when the model fails or writes nothing usable. */
export type TitleWriter = (prompt: string) => Promise<string | null>;

export function createTitleWriter(model: Pick<ChatModel, 'writeTitle'>): TitleWriter {
  return async (prompt) => {
    try {
      return cleanTitle(await model.writeTitle(prompt, AbortSignal.timeout(TITLE_TIMEOUT_MS)));
    } catch (error) {
      // The first-prompt title stays; nobody waits on this, so a log line is all a failure leaves.
      console.warn(JSON.stringify({ level: 'warn', event: 'title_failed', code: toAppError(error).code }));
      return null;
    }
  };
}
