import 'server-only';
import type { Mode, ModelResponseStep } from '@/lib/contract';
import { streamPacedText } from '@/lib/llm/paced-text';
import { estimatedUsage, RESPONSE_PROMPTS, ROUTER_PROMPT, toMessages } from '@/lib/llm/prompts';
import { ignoreCall, type ChatModel, type ChatTurn } from '@/lib/llm/types';

export const DEMO_MODEL_NAME = 'sluice-demo';

export const DEMO_NOTICE =
  'This is the built-in demo model, not a real language model. Set OPENAI_API_KEY (or OPENAI_BASE_URL for an OpenAI-compatible server such as Ollama or vLLM) and restart to use a real one.';

/** The demo model's router: a keyword classifier, checked in this order. */
export function classifyPrompt(prompt: string): Mode {
  const text = prompt.trim();
  if (/\b(poem|poetry|haiku|limerick|sonnet|verse|rhyme|lyrics)\b/i.test(text)) return 'generate_poem';
  if (
    /\b(code|function|script|program|implement|snippet|regex|sql|query|python|javascript|typescript|rust|golang|bash|class|algorithm)\b/i.test(
      text,
    )
  ) {
    return 'generate_code';
  }
  if (/\?\s*$/.test(text) || /^(what|why|how|who|when|where|which|is|are|can|could|does|do|explain|tell me|describe)\b/i.test(text)) {
    return 'answer_question';
  }
  return 'prompt_for_more';
}

const lastUserPrompt = (history: ChatTurn[]) => [...history].reverse().find((t) => t.role === 'user')?.content ?? '';

function topicOf(prompt: string): string {
  const flat = prompt.replace(/\s+/g, ' ').trim();
  return flat.length > 80 ? `${flat.slice(0, 77)}...` : flat;
}

export function demoAnswer(step: ModelResponseStep, prompt: string): string {
  const topic = topicOf(prompt);
  switch (step) {
    case 'answer_question':
      return [
        `You asked: "${topic}"`,
        '',
        `${DEMO_NOTICE}`,
        '',
        'With a real model connected, this is where the answer would stream in, word by word, exactly as this text does now. ' +
          'The agent has already checked the prompt for safety and chosen the **answer a question** mode before the first word arrived.',
      ].join('\n');
    case 'generate_poem':
      return [
        `A demo poem on "${topic}":`,
        '',
        'No model hums behind this screen,',
        'just canned words in a steady stream;',
        'connect a real one, key in hand,',
        'and verse will come as you had planned.',
        '',
        `_${DEMO_NOTICE}_`,
      ].join('\n');
    case 'generate_code':
      return [
        '```ts',
        `// Demo model: a real model would write code for "${topic.replace(/\*\//g, '* /')}".`,
        '// Set OPENAI_API_KEY or OPENAI_BASE_URL and restart to use one.',
        'export function greet(name: string): string {',
        '  return `Hello, ${name}!`;',
        '}',
        '```',
      ].join('\n');
  }
}

const POLITE_OPENING = /^((please|kindly)\s+|(can|could|would|will) you\s+|i(?:'d| would) like you to\s+|i want you to\s+|help me\s+)+/i;
const MAKE_OPENING = /^(write|give|make|create|compose|generate|show)(\s+me)?\s+((a|an|some|the)\s+)?/i;

/**
 * The demo model's title: the prompt's first sentence without "please, can you write me a", capitalised
 * ("Write a poem about the sea" is "Poem about the sea"). lib/agent/titles.ts cuts it to size.
 */
export function demoTitle(prompt: string): string {
  const first = prompt.trim().split(/\n|(?<=[.!?])\s/)[0] ?? '';
  let title = first.replace(POLITE_OPENING, '');
  title = title.replace(MAKE_OPENING, '').replace(/[.!]+$/, '').trim() || first;
  return title.charAt(0).toUpperCase() + title.slice(1);
}

/**
 * Offline, deterministic, and honest about what it is. Its trace shows the request a real model would be sent,
 * with estimated token counts.
 */
export function createDemoModel(tokenDelayMs: number): ChatModel {
  return {
    provider: 'demo',
    chatModel: DEMO_MODEL_NAME,
    routerModel: DEMO_MODEL_NAME,
    async decideMode(history, _signal, observe = ignoreCall) {
      const messages = toMessages(ROUTER_PROMPT, history);
      observe({ type: 'request', request: { model: DEMO_MODEL_NAME, messages } });
      const mode = classifyPrompt(lastUserPrompt(history));
      observe({ type: 'first_token' });
      observe({ type: 'usage', usage: estimatedUsage(messages, JSON.stringify({ mode })) });
      return mode;
    },
    async *streamResponse(step, history, signal, observe = ignoreCall) {
      const messages = toMessages(RESPONSE_PROMPTS[step], history);
      observe({ type: 'request', request: { model: DEMO_MODEL_NAME, messages, stream: true } });
      let text = '';
      try {
        for await (const part of streamPacedText(demoAnswer(step, lastUserPrompt(history)), tokenDelayMs, signal)) {
          if (text === '') observe({ type: 'first_token' });
          text += part.text;
          yield part;
        }
      } finally {
        if (text !== '') observe({ type: 'usage', usage: estimatedUsage(messages, text) });
      }
    },
    async writeTitle(prompt) {
      return demoTitle(prompt);
    },
  };
}
