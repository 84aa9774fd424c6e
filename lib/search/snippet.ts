import type { Snippet } from '@/lib/contract';

/** What the store marks matches with in a headline; both are removed from the text it is given first. */
export const MATCH_START = '\u0001';
export const MATCH_END = '\u0002';

/**
 * A store's headline (`ts_headline` with the markers above) as plain text and the offsets of its matches, in UTF-16
 * code units as JavaScript indexes strings: `[start, end)` pairs in order. The store collapsed the whitespace; what
 * is left at either end is trimmed here.
 */
export function snippetFromHeadline(headline: string): Snippet {
  let text = '';
  const highlights: [number, number][] = [];
  let start: number | null = null;
  for (const char of headline) {
    if (char === MATCH_START) start = text.length;
    else if (char === MATCH_END) {
      if (start !== null && text.length > start) highlights.push([start, text.length]);
      start = null;
    } else text += char;
  }
  const lead = text.length - text.trimStart().length;
  const trimmed = text.trim();
  return {
    text: trimmed,
    highlights: highlights.map(([from, to]): [number, number] => [from - lead, Math.min(to - lead, trimmed.length)]),
  };
}
