/**
 * What a run sends and stores, as pure functions of what the machine emits: unit-tested on their own, and the
 * run service only moves their results to the event log and the store.
 */
import type { AgentEmitted, TurnOutcome } from '@/lib/agent/machine';
import type { ChatItem, ChatItemStatus, ResponseStep, StreamEvent } from '@/lib/contract';

/**
 * The stream event for a machine emission. The end of a turn has none until the answer is stored; a model call's
 * report goes to the trace only.
 */
export function toStreamEvent(emitted: AgentEmitted): StreamEvent | null {
  switch (emitted.type) {
    case 'step':
      return { type: 'step', value: { name: emitted.name, status: emitted.status } };
    case 'mode':
      return { type: 'mode', value: emitted.step };
    case 'delta':
      return { type: 'delta', value: emitted.delta };
    case 'reasoning':
      return { type: 'reasoning', value: emitted.delta };
    case 'call':
    case 'turn.ended':
      return null;
  }
}

/** The last event of a turn: `done` with the stored answer, or the error that ended it. */
export function toEndEvent(outcome: TurnOutcome, stored: ChatItem): StreamEvent {
  return outcome.status === 'error' ? { type: 'error', value: outcome.error } : { type: 'done', value: stored };
}

/** What a response step streamed: its answer, and the reasoning before it with how long the model thought. */
export type StreamedAnswer = { text: string; reasoning?: string; reasoningMs?: number | null };

/**
 * The assistant message a turn leaves: what was streamed, with the turn's status. A failure before any text
 * is kept as an `error` item carrying the message, so the history shows what went wrong (and any reasoning).
 */
export function toAssistantMessage(
  outcome: TurnOutcome,
  step: ResponseStep | null,
  { text, reasoning, reasoningMs }: StreamedAnswer,
): Pick<ChatItem, 'content' | 'type' | 'status' | 'mode' | 'reasoning' | 'reasoningMs'> {
  const status: ChatItemStatus = outcome.status;
  const mode = step ? { mode: step } : {};
  const thought = reasoning ? { reasoning, ...(reasoningMs != null ? { reasoningMs } : {}) } : {};
  if (outcome.status === 'error' && text === '') return { content: outcome.error.message, type: 'error', status, ...mode, ...thought };
  return { content: text, type: step === 'generate_code' ? 'code' : 'text', status, ...mode, ...thought };
}

/** The answer a run's readers saw, from its events: what is stored when its producer was lost. */
export function answerSeen(events: StreamEvent[]): { content: string; reasoning: string; mode: ResponseStep | null } {
  let content = '';
  let reasoning = '';
  let mode: ResponseStep | null = null;
  for (const event of events) {
    if (event.type === 'delta') content += event.value;
    if (event.type === 'reasoning') reasoning += event.value;
    if (event.type === 'mode') mode = event.value;
  }
  return { content, reasoning, mode };
}
