import { parseMarkdownIntoBlocks } from 'streamdown';

/** Blocks per frozen chunk: few enough that a chunk renders quickly once, many enough to keep the chunks few. */
export const BLOCKS_PER_CHUNK = 16;

export type MarkdownChunks = { complete: string[]; live: string };

/**
 * An answer being streamed, cut into chunks of whole Markdown blocks (streamdown's own block split): every chunk
 * but the last is complete and never changes again as the text grows, so it renders once; only the last one
 * follows the stream. Pure: the same text always gives the same chunks, and a longer text the same earlier ones.
 *
 * `previous`, the chunks of an earlier, shorter state of the same text, saves lexing its complete chunks again: a
 * streamed answer is cut in time proportional to what arrived since, not to its whole length, on every render.
 */
export function chunkStreamingMarkdown(text: string, previous?: MarkdownChunks, blocksPerChunk = BLOCKS_PER_CHUNK): MarkdownChunks {
  const kept = previous && text.startsWith(previous.complete.join('')) ? previous.complete : [];
  const consumed = kept.reduce((length, chunk) => length + chunk.length, 0);
  const blocks = parseMarkdownIntoBlocks(text.slice(consumed));
  // A group is complete once a block follows it: the lexer has seen where its last block ends.
  const completeGroups = Math.floor(Math.max(0, blocks.length - 1) / blocksPerChunk);
  const complete = [...kept];
  for (let group = 0; group < completeGroups; group++) {
    complete.push(blocks.slice(group * blocksPerChunk, (group + 1) * blocksPerChunk).join(''));
  }
  return { complete, live: blocks.slice(completeGroups * blocksPerChunk).join('') };
}

/** A chunker for one growing answer: each call starts from the chunks of the call before. */
export function createMarkdownChunker(blocksPerChunk = BLOCKS_PER_CHUNK): (text: string) => MarkdownChunks {
  let previous: MarkdownChunks | undefined;
  return (text) => (previous = chunkStreamingMarkdown(text, previous, blocksPerChunk));
}
