/**
 * What a person typed into the search box, as a PostgreSQL text-search query: its words (letters, marks and
 * digits of any script; everything else separates them), all required, the last one a prefix while it is still
 * being typed. Nothing typed reaches the query syntax, so no input can be an operator.
 */

/** The most a query may be; longer is refused (400). */
export const SEARCH_QUERY_MAX = 2000;
/** Words past these are dropped: they would only narrow an already narrow search. */
const MAX_WORDS = 32;
const MAX_WORD_LENGTH = 100;

const WORD = /[\p{L}\p{M}\p{N}]+/gu;

/** The `to_tsquery` text for `q`, or null when it holds no word to look for. */
export function toSearchTerms(q: string): string | null {
  const words = (q.normalize('NFKC').match(WORD) ?? []).slice(0, MAX_WORDS).map((word) => word.slice(0, MAX_WORD_LENGTH).toLowerCase());
  if (words.length === 0) return null;
  // A query that ends mid-word is being typed: its last word may be the start of a longer one.
  const typing = !/\s$/u.test(q);
  return words.map((word, index) => `'${word}'${typing && index === words.length - 1 ? ':*' : ''}`).join(' & ');
}
