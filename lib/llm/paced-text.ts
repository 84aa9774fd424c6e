import type { ResponsePart } from '@/lib/llm/types';

/** Splits text into word-sized tokens that keep their whitespace, so joining them gives the text back. */
export function tokenize(text: string): string[] {
  return text.match(/\s*\S+\s*/g) ?? (text ? [text] : []);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted || ms <= 0) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Streams a fixed answer word by word at a steady pace; stops as soon as `signal` aborts. */
export async function* streamPacedText(text: string, delayMs: number, signal: AbortSignal): AsyncGenerator<ResponsePart> {
  for (const token of tokenize(text)) {
    await sleep(delayMs, signal);
    if (signal.aborted) return;
    yield { type: 'text', text: token };
  }
}
