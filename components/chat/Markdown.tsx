'use client';

import { code } from '@streamdown/code';
import remarkBreaks from 'remark-breaks';
import { defaultRemarkPlugins, Streamdown } from 'streamdown';

const plugins = { code };
// Models write poems and lists with single newlines: keep them as line breaks, as chat apps do.
const remarkPlugins = [...Object.values(defaultRemarkPlugins), remarkBreaks];

/**
 * Model output rendered as Markdown: incomplete syntax mid-stream renders gracefully, code is highlighted with a
 * copy button, and raw HTML goes through streamdown's sanitiser and hardening, so nothing in it executes.
 */
export function Markdown({ children, streaming = false }: { children: string; streaming?: boolean }) {
  return (
    <Streamdown
      plugins={plugins}
      remarkPlugins={remarkPlugins}
      mode={streaming ? 'streaming' : 'static'}
      isAnimating={streaming}
      className="space-y-3 break-words"
    >
      {children}
    </Streamdown>
  );
}
