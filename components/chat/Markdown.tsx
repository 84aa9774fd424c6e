'use client';

import { code } from '@streamdown/code';
import { memo } from 'react';
import remarkBreaks from 'remark-breaks';
import { defaultRemarkPlugins, Streamdown } from 'streamdown';
import { chunkStreamingMarkdown } from '@/components/chat/markdown-chunks';

const plugins = { code };
// Models write poems and lists with single newlines: keep them as line breaks, as chat apps do.
const remarkPlugins = [...Object.values(defaultRemarkPlugins), remarkBreaks];
const className = 'space-y-3 break-words';

/** A finished part of a streaming answer: same text, same element, never rendered again. */
const CompleteChunk = memo(function CompleteChunk({ text }: { text: string }) {
  return (
    <Streamdown plugins={plugins} remarkPlugins={remarkPlugins} mode="static" className={className}>
      {text}
    </Streamdown>
  );
});

/**
 * Model output rendered as Markdown: incomplete syntax mid-stream renders gracefully, code is highlighted with a
 * copy button, and raw HTML goes through streamdown's sanitiser and hardening, so nothing in it executes. While it
 * streams, only its last blocks are rendered again as text arrives, so a long answer costs no more per token at
 * its end than at its start.
 */
export function Markdown({ children, streaming = false }: { children: string; streaming?: boolean }) {
  if (!streaming) {
    return (
      <Streamdown plugins={plugins} remarkPlugins={remarkPlugins} mode="static" className={className}>
        {children}
      </Streamdown>
    );
  }
  const { complete, live } = chunkStreamingMarkdown(children);
  return (
    <div className={className}>
      {complete.map((text, index) => (
        <CompleteChunk key={index} text={text} />
      ))}
      <Streamdown plugins={plugins} remarkPlugins={remarkPlugins} mode="streaming" isAnimating className={className}>
        {live}
      </Streamdown>
    </div>
  );
}
