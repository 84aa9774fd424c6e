import type { ResponsePart } from '@/lib/llm/types';

/**
 * The reasoning a chunk's delta carries beside the answer, in whichever field the server uses:
 * `reasoning_content` (DeepSeek, vLLM, llama.cpp) or `reasoning` (Ollama, OpenRouter, gateways).
 */
export function reasoningOfDelta(delta: unknown): string {
  if (!delta || typeof delta !== 'object') return '';
  const { reasoning_content: content, reasoning } = delta as { reasoning_content?: unknown; reasoning?: unknown };
  if (typeof content === 'string' && content !== '') return content;
  return typeof reasoning === 'string' ? reasoning : '';
}

const OPEN = '<think>';
const CLOSE = '</think>';

/** How many characters at the end of `text` could begin `tag`: those wait for the next chunk to decide. */
function partialTagAtEnd(text: string, tag: string): number {
  for (let length = Math.min(tag.length - 1, text.length); length > 0; length--) {
    if (text.endsWith(tag.slice(0, length))) return length;
  }
  return 0;
}

/**
 * Splits an answer that begins with `<think>` ... `</think>` (a model served without a reasoning parser) into its
 * reasoning and its answer, as the text streams in: the tags may be cut across chunks at any character, so what
 * could still be part of one is held until the next chunk says. Whitespace before the block, at the start of the
 * reasoning and between the block and the answer is dropped; an answer that does not start with the tag passes
 * through as it came.
 */
export function createThinkTagSplitter() {
  let phase: 'start' | 'thinking' | 'after' | 'answer' = 'start';
  let held = '';
  let reasoned = false;

  const push = (chunk: string): ResponsePart[] => {
    const parts: ResponsePart[] = [];
    const emit = (type: ResponsePart['type'], text: string) => {
      if (text !== '') parts.push({ type, text });
    };
    let text = held + chunk;
    held = '';
    while (text !== '') {
      if (phase === 'answer') {
        emit('text', text);
        break;
      }
      if (phase === 'start') {
        const trimmed = text.trimStart();
        if (trimmed.startsWith(OPEN)) {
          phase = 'thinking';
          text = trimmed.slice(OPEN.length);
          continue;
        }
        if (OPEN.startsWith(trimmed)) {
          held = text;
          break;
        }
        phase = 'answer';
        continue;
      }
      if (phase === 'after') {
        text = text.trimStart();
        if (text !== '') phase = 'answer';
        continue;
      }
      // Thinking: everything up to the closing tag is reasoning.
      if (!reasoned) {
        text = text.trimStart();
        if (text === '') break;
        reasoned = true;
      }
      const end = text.indexOf(CLOSE);
      if (end >= 0) {
        emit('reasoning', text.slice(0, end));
        phase = 'after';
        text = text.slice(end + CLOSE.length);
        continue;
      }
      const partial = partialTagAtEnd(text, CLOSE);
      emit('reasoning', text.slice(0, text.length - partial));
      held = text.slice(text.length - partial);
      break;
    }
    return parts;
  };

  /** The stream ended: what was held is what it looked like (an unclosed block is all reasoning). */
  const end = (): ResponsePart[] => {
    const rest = held;
    held = '';
    if (rest === '' || phase === 'after') return [];
    return [{ type: phase === 'thinking' ? 'reasoning' : 'text', text: rest }];
  };

  return { push, end };
}
