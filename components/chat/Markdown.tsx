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

/** A finished part of a streaming answer: same text, same element, never rendered again. */
const CompleteChunk = memo(function CompleteChunk({ text }: { text: string }) {
  return (
    <Streamdown plugins={plugins} remarkPlugins={remarkPlugins} mode="static" className={chunkClassName}>
      {text}
    </Streamdown>
  );
});

/**
 * Model output rendered as Markdown: incomplete syntax mid-stream renders gracefully, code is highlighted with a
 * copy button, and raw HTML goes through streamdown's sanitiser and hardening, so nothing in it executes. The text
 * is cut into chunks of whole blocks, each rendered once: while it streams only the last blocks (the tail) follow
 * the text, so a long answer costs no more per token at its end than at its start, and when it finishes only the
 * tail is rendered again, not the whole answer.
 */
export function Markdown({ children, streaming = false }: { children: string; streaming?: boolean }) {
  const [chunk] = useState(createMarkdownChunker);
  const { complete, live } = useMemo(() => chunk(children), [chunk, children]);
  return (
    <div className={className}>
      {complete.map((text, index) => (
        <CompleteChunk key={index} text={text} />
      ))}
      {/* The tail that follows the stream stays the same element when the answer finishes: put in place of a new
          chunk, it would first be laid out at its placeholder height and move a page that follows the answer. */}
      {live ? (
        <Streamdown
          key="live"
          plugins={plugins}
          remarkPlugins={remarkPlugins}
          mode={streaming ? 'streaming' : 'static'}
          isAnimating={streaming}
          className={className}
        >
          {live}
        </Streamdown>
      ) : null}
    </div>
  );
}
