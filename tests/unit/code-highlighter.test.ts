import { afterEach, describe, expect, it, vi } from 'vitest';
import type { HighlightOptions, HighlightResult } from '@streamdown/code';
import { createWorkerCodePlugin } from '@/lib/chat/code-highlighter';
import type { HighlightRequest } from '@/lib/chat/highlight-worker';

/** A stand-in for the browser's Worker: records what the page asks, answers when the test says. */
class FakeWorker {
  static last: FakeWorker | null = null;
  received: HighlightRequest[] = [];
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onerror: (() => void) | null = null;
  constructor() {
    FakeWorker.last = this;
  }
  postMessage(request: HighlightRequest) {
    this.received.push(request);
  }
  /** Answers the request in flight with tokens naming its code. */
  answer() {
    const request = this.received.at(-1)!;
    this.onmessage?.({ data: { id: request.id, result: tokensOf(request.options.code) } });
  }
  terminate() {}
}

const tokensOf = (code: string): HighlightResult => ({ tokens: [[{ content: code, offset: 0 }]] });
const block = (code: string, isIncomplete = false): HighlightOptions => ({
  code,
  language: 'ts',
  isIncomplete,
  themes: ['github-light', 'github-dark'],
});

describe('the code highlighter on the page', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('asks its worker, one request at a time, for a streaming block only as it is now, and keeps the result', () => {
    vi.stubGlobal('Worker', FakeWorker);
    const plugin = createWorkerCodePlugin();
    const seen: string[] = [];
    const onResult = (result: HighlightResult) => seen.push(result.tokens[0]![0]!.content);

    expect(plugin.highlight(block('con', true), onResult)).toBeNull();
    const worker = FakeWorker.last!;
    // The block grows twice while the worker is busy with its start.
    plugin.highlight(block('cons', true), onResult);
    plugin.highlight(block('const', true), onResult);
    expect(worker.received.map((request) => request.options.code)).toEqual(['con']);
    worker.answer();
    expect(worker.received.map((request) => request.options.code)).toEqual(['con', 'const']);
    worker.answer();
    expect(seen).toEqual(['con', 'const']);
    // Rendered again: the tokens at once, nothing asked.
    expect(plugin.highlight(block('const', true))).toEqual(tokensOf('const'));
    expect(worker.received).toHaveLength(2);
  });

  it('asks for every finished block, and once for blocks that are the same', () => {
    vi.stubGlobal('Worker', FakeWorker);
    const plugin = createWorkerCodePlugin();
    const seen: string[] = [];
    const onResult = (result: HighlightResult) => seen.push(result.tokens[0]![0]!.content);
    plugin.highlight(block('a'), onResult);
    const worker = FakeWorker.last!;
    plugin.highlight(block('ab'), onResult);
    plugin.highlight(block('ab'), onResult);
    worker.answer();
    worker.answer();
    expect(worker.received.map((request) => request.options.code)).toEqual(['a', 'ab']);
    expect(seen).toEqual(['a', 'ab', 'ab']);
  });
});
