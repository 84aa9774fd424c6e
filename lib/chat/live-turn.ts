import type { Attachment, ChatItem, ErrorInfo, ResponseStep, StreamEvent } from '@/lib/contract';
import { STEP_PROGRESS } from '@/lib/chat/labels';

/** The turn being answered, as the page shows it until the stored copy takes over. */
export type LiveTurn = {
  /** Null for a turn picked up after a reload: its prompt is already among the stored messages. */
  prompt: string | null;
  /** The files sent with the prompt, shown with it until the stored copy takes over. */
  attachments: Attachment[];
  /** How many stored messages the page showed when the turn began. */
  baseCount: number;
  progress: string | null;
  mode: ResponseStep | null;
  text: string;
  /** The model's reasoning so far, shown apart from the answer. */
  reasoning: string;
  phase: 'streaming' | 'stopping' | 'finished';
  result: ChatItem | null;
  error: ErrorInfo | null;
  /** The title a model wrote for the conversation, when this first turn brought one. */
  title: string | null;
};

export type LiveTurnAction =
  | { type: 'started'; prompt: string; baseCount: number; attachments?: Attachment[] }
  /** A run already under way (the page was reloaded, or the reader came back): its events are replayed. */
  | { type: 'resumed'; baseCount: number }
  /** A run already under way, as another page showed it last (the events after it follow). */
  | { type: 'restored'; turn: LiveTurn }
  /** Events in the order they came; several deltas arrive together when tokens come faster than frames. */
  | { type: 'received'; events: StreamEvent[] }
  | { type: 'stopping' }
  /** The stream closed: a turn the server did not finish ended early. */
  | { type: 'ended' }
  /** Something failed on this side after the prompt was sent. */
  | { type: 'failed'; message: string }
  /** Nothing was sent after all: there is no turn to show. */
  | { type: 'withdrawn' };

export const STREAM_ENDED_EARLY = 'The stream ended early. Reload to see what was stored.';

function applyEvent(turn: LiveTurn, event: StreamEvent): LiveTurn {
  switch (event.type) {
    case 'chat_history':
      return turn;
    case 'step':
      if (event.value.status === 'started') return { ...turn, progress: STEP_PROGRESS[event.value.name] };
      return event.value.name === turn.mode || event.value.status !== 'completed' ? { ...turn, progress: null } : turn;
    case 'mode':
      return { ...turn, mode: event.value };
    case 'delta':
      return { ...turn, text: turn.text + event.value };
    case 'reasoning':
      return { ...turn, reasoning: turn.reasoning + event.value };
    case 'title':
      return { ...turn, title: event.value.title };
    case 'done':
      return { ...turn, phase: 'finished', progress: null, result: event.value, text: event.value.content, reasoning: event.value.reasoning ?? '' };
    case 'error':
      return { ...turn, phase: 'finished', progress: null, error: event.value };
  }
}

/** A failure on this side of the stream ends the turn as a server `error` event would. */
const failTurn = (turn: LiveTurn, message: string) =>
  applyEvent(turn, { type: 'error', value: { code: 'internal_error', message } });

export function liveTurnReducer(turn: LiveTurn | null, action: LiveTurnAction): LiveTurn | null {
  if (action.type === 'started' || action.type === 'resumed') {
    const prompt = action.type === 'started' ? action.prompt : null;
    const attachments = action.type === 'started' ? (action.attachments ?? []) : [];
    return { prompt, attachments, baseCount: action.baseCount, progress: null, mode: null, text: '', reasoning: '', phase: 'streaming', result: null, error: null, title: null };
  }
  if (action.type === 'restored') return action.turn;
  if (action.type === 'withdrawn' || turn === null) return null;
  switch (action.type) {
    case 'received':
      return action.events.reduce((current, event) => (current.phase === 'finished' ? current : applyEvent(current, event)), turn);
    case 'stopping':
      return turn.phase === 'streaming' ? { ...turn, phase: 'stopping' } : turn;
    case 'ended':
      return turn.phase === 'finished' ? turn : failTurn(turn, STREAM_ENDED_EARLY);
    case 'failed':
      return turn.phase === 'finished' ? turn : failTurn(turn, action.message);
  }
}

export const isBusy = (turn: LiveTurn | null) => turn !== null && turn.phase !== 'finished';

/**
 * The live turn steps aside once it is finished and the server-rendered list holds it (the prompt and the
 * answer), so the page never shows it twice nor blanks it in between.
 */
export function visibleTurn(turn: LiveTurn | null, persistedCount: number): LiveTurn | null {
  const stored = turn !== null && turn.phase === 'finished' && persistedCount >= turn.baseCount + 2;
  return stored ? null : turn;
}
