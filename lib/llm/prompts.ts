import { MODES, type FixedTextStep, type ModelResponseStep } from '@/lib/contract';
import type { ChatTurn } from '@/lib/llm/types';

/** The router's instructions; its answer is constrained to one of the four modes by a JSON schema. */
export const ROUTER_PROMPT = `You route a user's latest message in a chat to the one assistant mode that should answer it.
Modes:
- answer_question: the user asks a question or wants an explanation.
- generate_poem: the user wants a poem, verse, haiku, limerick or song lyrics.
- generate_code: the user wants source code, a script, a query or a command.
- prompt_for_more: the message is too vague, empty of intent, or ambiguous.
Answer with JSON of the form {"mode": "<mode>"} and nothing else.`;

/** How each model-backed response step is asked to answer (the seed article's prepend prompts). */
export const RESPONSE_PROMPTS: Record<ModelResponseStep, string> = {
  answer_question:
    'You are a helpful assistant. Answer the user\'s question clearly and concisely. Use Markdown where it helps.',
  generate_poem:
    'You are a poet. Respond with a poem on what the user asks for, and nothing else: no preface, no explanation.',
  generate_code:
    'You are a programmer. Respond with only code, in one fenced Markdown code block with a language tag, and no other text at all.',
};

/** How a title is asked for: the user's first message follows as the only other message. */
export const TITLE_PROMPT = `Write a title for a chat that begins with the user's message that follows.
At most six words, in the language of that message. Answer with the title alone: no quotes, no trailing period, no preface.`;

/** Fixed texts for the steps that never call a model. */
export const FIXED_RESPONSES: Record<FixedTextStep, string> = {
  prompt_for_more:
    'I am not sure what you would like me to do. Could you say a bit more? I can answer a question, write a poem, or write code.',
  unsafe_response: 'Sorry, I cannot help with that request. Please ask something else.',
};

export const JSON_SCHEMA_FOR_MODE = {
  type: 'object',
  properties: { mode: { type: 'string', enum: [...MODES] } },
  required: ['mode'],
  additionalProperties: false,
} as const;

/** The messages a model is sent: its instructions, then the conversation. */
export const toMessages = (system: string, history: ChatTurn[]) => [
  { role: 'system' as const, content: system },
  ...history.map((turn) => ({ role: turn.role, content: turn.content })),
];

/** A rough token count for servers that report none: about four characters a token. */
export function estimateTokens(texts: string[]): number {
  return Math.ceil(texts.reduce((sum, text) => sum + text.length, 0) / 4);
}

/** Usage estimated from what went in and what came out. */
export const estimatedUsage = (messages: { content: string }[], output: string) => ({
  input: estimateTokens(messages.map((m) => m.content)),
  output: estimateTokens([output]),
  estimated: true,
});
