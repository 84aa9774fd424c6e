import type { ChatTurn, SafetyVerdict } from '@/lib/agent/machine';
import type { ResponseStep } from '@/lib/contract';

/** A source of answers: the openai SDK against a real server, or the built-in demo model. */
export interface ChatModel {
  readonly provider: 'demo' | 'openai';
  readonly chatModel: string;
  readonly routerModel: string;
  /** The router's raw answer; the machine turns anything unparseable into `prompt_for_more`. */
  decideMode(history: ChatTurn[], signal: AbortSignal): Promise<unknown>;
  /** Text deltas as the model produces them; ends quietly when `signal` aborts. */
  streamResponse(step: Exclude<ResponseStep, 'prompt_for_more' | 'unsafe_response'>, history: ChatTurn[], signal: AbortSignal): AsyncIterable<string>;
}

export interface SafetyCheck {
  readonly kind: 'moderation' | 'rules' | 'off';
  check(prompt: string, signal: AbortSignal): Promise<SafetyVerdict>;
}
