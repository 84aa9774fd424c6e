import { parseMarkdownIntoBlocks } from 'streamdown';

/** Blocks per frozen chunk: few enough that a chunk renders quickly once, many enough to keep the chunks few. */
export const BLOCKS_PER_CHUNK = 16;

/**
 * An answer being streamed, cut into chunks of whole Markdown blocks (streamdown's own block split): every chunk
 * but the last is complete and never changes again as the text grows, so it renders once; only the last one
 * follows the stream. Pure: the same text always gives the same chunks, and a longer text the same earlier ones.
 */
export function chunkStreamingMarkdown(text: string, blocksPerChunk = BLOCKS_PER_CHUNK): { complete: string[]; live: string } {
  const blocks = parseMarkdownIntoBlocks(text);
  // A group is complete once a block follows it: the lexer has seen where its last block ends.
  const completeGroups = Math.floor(Math.max(0, blocks.length - 1) / blocksPerChunk);
  const complete: string[] = [];
  for (let group = 0; group < completeGroups; group++) {
    complete.push(blocks.slice(group * blocksPerChunk, (group + 1) * blocksPerChunk).join(''));
  }
  return { complete, live: blocks.slice(completeGroups * blocksPerChunk).join('') };
}
