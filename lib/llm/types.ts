import type { ModelResponseStep } from '@/lib/contract';

/** One turn of the conversation as the model sees it. */
export type ChatTurn = { role: 'user' | 'assistant'; content: string };

export type SafetyVerdict = { safe: boolean; reason?: string };

/** A source of answers: the openai SDK against a real server, or the built-in demo model. */
export interface ChatModel {
  readonly provider: 'demo' | 'openai';
  readonly chatModel: string;
  readonly routerModel: string;
  /** The router's raw answer; the machine turns anything unparseable into `prompt_for_more`. */
  decideMode(history: ChatTurn[], signal: AbortSignal): Promise<unknown>;
  /** Text deltas as the model produces them; ends quietly when `signal` aborts. */
  streamResponse(step: ModelResponseStep, history: ChatTurn[], signal: AbortSignal): AsyncIterable<string>;
}

export interface SafetyCheck {
  readonly kind: 'moderation' | 'rules' | 'off';
  check(prompt: string, signal: AbortSignal): Promise<SafetyVerdict>;
}
