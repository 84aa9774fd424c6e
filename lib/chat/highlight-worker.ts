/// <reference lib="webworker" />
import { createCodePlugin, type HighlightOptions, type HighlightResult } from '@streamdown/code';

/**
 * Highlights code blocks off the page's main thread: compiling a language's grammar takes a few hundred ms, and
 * tokenizing a long block tens. Streamdown's own Shiki plugin does the work here, with its caches and its
 * incremental highlighting of a block that grows as it streams.
 */
const plugin = createCodePlugin();
const scope = self as unknown as DedicatedWorkerGlobalScope;

export type HighlightRequest = { id: number; options: HighlightOptions };
export type HighlightResponse = { id: number; result: HighlightResult | null };

scope.onmessage = (event: MessageEvent<HighlightRequest>) => {
  const { id, options } = event.data;
  // The grammar's state is a class instance that does not cross to the page, which does not need it.
  const reply = (result: HighlightResult | null) => {
    const sendable = result ? { ...result, grammarState: undefined } : null;
    scope.postMessage({ id, result: sendable } satisfies HighlightResponse);
  };
  try {
    const ready = plugin.highlight(options, reply);
    if (ready) reply(ready);
  } catch (error) {
    console.error('[sluice] highlighting failed', error);
    reply(null);
  }
};
