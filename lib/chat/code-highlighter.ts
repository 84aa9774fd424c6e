import { createCodePlugin, type CodeHighlighterPlugin, type HighlightOptions, type HighlightResult } from '@streamdown/code';
import type { HighlightRequest, HighlightResponse } from './highlight-worker';

/** Results kept on the page, so a block rendered again gets its tokens at once (most recent first out last). */
const KEPT_RESULTS = 200;

type Pending = { id: number; options: HighlightOptions; callbacks: ((result: HighlightResult) => void)[] };

const keyOf = ({ language, themes, code }: HighlightOptions) => `${language}\u0000${String(themes[0])}\u0000${String(themes[1])}\u0000${code}`;

/**
 * Streamdown's code plugin with the highlighting done in a Web Worker (highlight-worker.ts): the page's main thread
 * only draws the tokens. One request is with the worker at a time; a block that grew while its request waited is
 * asked for once, as it is now (a streaming block is asked for on every render), so the worker never falls behind.
 * Where there is no worker (it failed to start), the plugin runs on the page as before.
 */
export function createWorkerCodePlugin(): CodeHighlighterPlugin {
  const local = createCodePlugin();
  const kept = new Map<string, HighlightResult>();
  const waiting: Pending[] = [];
  let inFlight: Pending | null = null;
  let worker: Worker | null | undefined;
  let nextId = 1;

  const keep = (key: string, result: HighlightResult) => {
    kept.delete(key);
    kept.set(key, result);
    if (kept.size > KEPT_RESULTS) kept.delete(kept.keys().next().value!);
  };

  const sendNext = () => {
    if (inFlight || !worker) return;
    const next = waiting.shift();
    if (!next) return;
    inFlight = next;
    worker.postMessage({ id: next.id, options: next.options } satisfies HighlightRequest);
  };

  const startWorker = (): Worker | null => {
    if (worker !== undefined) return worker;
    try {
      worker = new Worker(new URL('./highlight-worker.ts', import.meta.url), { type: 'module', name: 'sluice-highlighter' });
    } catch {
      return (worker = null);
    }
    worker.onmessage = (event: MessageEvent<HighlightResponse>) => {
      const done = inFlight;
      inFlight = null;
      if (done && done.id === event.data.id && event.data.result) {
        keep(keyOf(done.options), event.data.result);
        for (const callback of done.callbacks) callback(event.data.result);
      }
      sendNext();
    };
    worker.onerror = () => {
      // Highlighting goes on, on the page.
      worker?.terminate();
      worker = null;
      const stranded = [...(inFlight ? [inFlight] : []), ...waiting.splice(0)];
      inFlight = null;
      for (const { options, callbacks } of stranded) {
        local.highlight(options, (result) => callbacks.forEach((callback) => callback(result)));
      }
    };
    return worker;
  };

  return {
    ...local,
    highlight(options, callback) {
      const key = keyOf(options);
      const ready = kept.get(key);
      if (ready) return ready;
      if (!startWorker()) return local.highlight(options, callback);
      const same = waiting.find((pending) => keyOf(pending.options) === key);
      if (same) {
        if (callback) same.callbacks.push(callback);
        return null;
      }
      const request: Pending = { id: nextId++, options, callbacks: callback ? [callback] : [] };
      // A streaming block, grown since it was asked for: asked for once, as it is now.
      const grown = waiting.findIndex(
        (pending) =>
          pending.options.isIncomplete && pending.options.language === options.language && options.code.startsWith(pending.options.code),
      );
      if (grown === -1) waiting.push(request);
      else waiting[grown] = request;
      sendNext();
      return null;
    },
  };
}
