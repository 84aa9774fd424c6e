'use client';

import { memo, useMemo, useState } from 'react';
import remarkBreaks from 'remark-breaks';
import { defaultRemarkPlugins, Streamdown } from 'streamdown';
import { createMarkdownChunker } from '@/lib/chat/markdown-chunks';
import { createWorkerCodePlugin } from '@/lib/chat/code-highlighter';

/** One highlighter for the page, working off its main thread. */
const plugins = { code: createWorkerCodePlugin() };
// Models write poems and lists with single newlines: keep them as line breaks, as chat apps do.
const remarkPlugins = [...Object.values(defaultRemarkPlugins), remarkBreaks];
const className = 'space-y-3 break-words';

// Off-screen chunks of a long answer skip style, layout and paint (and keep their last size, so nothing jumps):
// otherwise every frame of a stream lays out the whole answer again.
const chunkClassName = `${className} [content-visibility:auto] [contain-intrinsic-size:auto_40rem]`;

/**
 * One chunk of an answer. Rendered block by block (streamdown's streaming mode, also once the text is complete):
 * a block whose text did not change is not parsed again, so the chunk that stops following the stream keeps every
 * block it drew, and a stored answer renders in small pieces. Only the chunk still following the stream closes
 * unfinished Markdown and checks for an unfinished code fence. No line numbers: they are CSS counters, which made
 * every style recalculation walk the whole answer (5.0 s of a 46 s stream, against 1.8 s without).
 */
const Chunk = memo(function Chunk({ text, last, streaming }: { text: string; last: boolean; streaming: boolean }) {
  const following = last && streaming;
  return (
    <Streamdown
      plugins={plugins}
      remarkPlugins={remarkPlugins}
      lineNumbers={false}
      mode="streaming"
      parseIncompleteMarkdown={following}
      isAnimating={following}
      className={last ? className : chunkClassName}
    >
      {text}
    </Streamdown>
  );
});

/**
 * Model output rendered as Markdown: incomplete syntax mid-stream renders gracefully, code is highlighted with a
 * copy button, and raw HTML goes through streamdown's sanitiser and hardening, so nothing in it executes. The text
 * is cut into chunks of whole blocks, keyed by their place: a chunk that fills up stays the element it was (its
 * blocks already drawn) and the next one starts, so a long answer costs no more per token at its end than at its
 * start, and when it finishes nothing is drawn anew. The last chunk keeps its real size (no placeholder height), so
 * a page that follows the answer never jumps.
 */
export function Markdown({ children, streaming = false }: { children: string; streaming?: boolean }) {
  const [chunk] = useState(createMarkdownChunker);
  const chunks = useMemo(() => {
    const { complete, live } = chunk(children);
    return live ? [...complete, live] : complete;
  }, [chunk, children]);
  return (
    <div className={className}>
      {chunks.map((text, index) => (
        <Chunk key={index} text={text} last={index === chunks.length - 1} streaming={streaming} />
      ))}
    </div>
  );
}
