import type { Attachment, ModelResponseStep, TokenUsage } from '@/lib/contract';

/** One turn of the conversation as the agent keeps it: a prompt names its files, their bytes stay in the store. */
export type ChatTurn = { role: 'user' | 'assistant'; content: string; attachments?: Attachment[] };

/** A file with its bytes, as a model call sends it. */
export type FileBody = Attachment & { data: Uint8Array };

/** A turn as the answering model is sent it: with its files' bytes. */
export type ModelTurn = { role: 'user' | 'assistant'; content: string; files?: FileBody[] };

/** A piece of a streamed response: the answer itself, or the model's reasoning before it (never sent back upstream). */
export type ResponsePart = { type: 'text' | 'reasoning'; text: string };

export type SafetyVerdict = { safe: boolean; reason?: string };

/**
 * What a model call tells the run's trace as it goes: the request exactly as sent upstream (body only: never
 * headers or keys), the moment the first token arrived, and the tokens used.
 */
export type ModelCallEvent =
  | { type: 'request'; request: Record<string, unknown> }
  | { type: 'first_token' }
  | { type: 'usage'; usage: TokenUsage };

export type CallObserver = (event: ModelCallEvent) => void;

export const ignoreCall: CallObserver = () => {};

/** A source of answers: the openai SDK against a real server, or the built-in demo model. */
export interface ChatModel {
  readonly provider: 'demo' | 'openai';
  readonly chatModel: string;
  readonly routerModel: string;
  /** The router's raw answer; the machine turns anything unparseable into `prompt_for_more`. */
  decideMode(history: ChatTurn[], signal: AbortSignal, observe?: CallObserver): Promise<unknown>;
  /** The answer (and any reasoning before it) as the model produces it; ends quietly when `signal` aborts. */
  streamResponse(step: ModelResponseStep, history: ModelTurn[], signal: AbortSignal, observe?: CallObserver): AsyncIterable<ResponsePart>;
  /** A short title for a conversation that begins with `prompt`, as the model wrote it (lib/agent/titles.ts cleans it). */
  writeTitle(prompt: string, signal: AbortSignal): Promise<string>;
}

export interface SafetyCheck {
  readonly kind: 'moderation' | 'rules' | 'off';
  check(prompt: string, signal: AbortSignal, observe?: CallObserver): Promise<SafetyVerdict>;
}
