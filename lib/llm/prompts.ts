import type OpenAI from 'openai';
import { MODES, type Attachment, type FixedTextStep, type ModelResponseStep } from '@/lib/contract';
import { isImageType } from '@/lib/attachments/file-type';
import type { ChatTurn, FileBody, ModelTurn } from '@/lib/llm/types';

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

/** What the router and the safety check learn of a prompt's files: their names. */
export const fileNamesLine = (files: Attachment[]) => `[Attached files: ${files.map((file) => file.name).join(', ')}]`;

/** A text file as the model reads it: its name, then its whole content. */
export const fileTextPart = (file: FileBody) => `File: ${file.name}\n\n${new TextDecoder().decode(file.data)}`;

const toContentParts = (content: string, files: FileBody[]): OpenAI.ChatCompletionContentPart[] => [
  { type: 'text', text: content },
  ...files.map((file): OpenAI.ChatCompletionContentPart =>
    isImageType(file.type)
      ? { type: 'image_url', image_url: { url: `data:${file.type};base64,${Buffer.from(file.data).toString('base64')}` } }
      : { type: 'text', text: fileTextPart(file) },
  ),
];

export type ModelMessage = OpenAI.ChatCompletionSystemMessageParam | OpenAI.ChatCompletionUserMessageParam | OpenAI.ChatCompletionAssistantMessageParam;

/**
 * The messages a model is sent: its instructions, then the conversation. A prompt's files go as content parts
 * when their bytes are given (the answer: images as `image_url` data URLs, text files as text), else by name.
 */
export function toMessages(system: string, history: (ChatTurn | ModelTurn)[]): ModelMessage[] {
  const messages: ModelMessage[] = [{ role: 'system', content: system }];
  for (const turn of history) {
    if (turn.role === 'assistant') messages.push({ role: 'assistant', content: turn.content });
    else if ('files' in turn && turn.files?.length) messages.push({ role: 'user', content: toContentParts(turn.content, turn.files) });
    else if ('attachments' in turn && turn.attachments?.length) messages.push({ role: 'user', content: `${turn.content}\n\n${fileNamesLine(turn.attachments)}` });
    else messages.push({ role: 'user', content: turn.content });
  }
  return messages;
}

/** Whether a request sends images: a refusal of it may be the model's of images. */
export const sendsImages = (messages: ModelMessage[]) =>
  messages.some((message) => Array.isArray(message.content) && message.content.some((part) => part.type === 'image_url'));

/** A rough token count for servers that report none: about four characters a token. */
export function estimateTokens(texts: string[]): number {
  return Math.ceil(texts.reduce((sum, text) => sum + text.length, 0) / 4);
}

/** A message's text, for an estimate: images are not counted (their cost depends on the model). */
const textOf = (content: ModelMessage['content']): string =>
  typeof content === 'string' ? content : (content ?? []).map((part) => ('text' in part ? part.text : '')).join('');

/** Usage estimated from what went in and what came out. */
export const estimatedUsage = (messages: ModelMessage[], output: string) => ({
  input: estimateTokens(messages.map((m) => textOf(m.content))),
  output: estimateTokens([output]),
  estimated: true,
});

/**
 * A request as the trace keeps it: each image's data URL shortened to its type and size, so a trace row holds no
 * image (the bytes are the attachment's, a click away).
 */
export function requestForTrace<T extends { messages: ModelMessage[] }>(request: T): T {
  if (!sendsImages(request.messages)) return request;
  const messages = request.messages.map((message) =>
    Array.isArray(message.content)
      ? {
          ...message,
          content: message.content.map((part) => {
            if (part.type !== 'image_url') return part;
            const [head = '', data = ''] = part.image_url.url.split(',', 2);
            return { ...part, image_url: { ...part.image_url, url: `${head},…(${Buffer.byteLength(data, 'base64')} bytes)` } };
          }),
        }
      : message,
  );
  return { ...request, messages: messages as ModelMessage[] };
}
