import type { LiveTurn } from '@/lib/chat/live-turn';

/**
 * A first prompt's turn as `/` last saw it, for the conversation's own page that takes the run over: that page
 * shows the turn from its first paint (no blank while it connects) and follows the run on after the last event
 * seen, so nothing is shown twice or lost. Module state: it lives across the client-side move between the two pages.
 */
export type TurnHandOff = { conversationId: string; turn: LiveTurn; lastEventId: number };

let handOff: TurnHandOff | null = null;

export function recordHandOff(next: TurnHandOff): void {
  handOff = next;
}

/** What `/` handed to this conversation, if anything, without taking it. */
export function peekHandOff(conversationId: string | null): TurnHandOff | null {
  return conversationId !== null && handOff?.conversationId === conversationId ? handOff : null;
}

/** Takes what `/` handed to this conversation: it is used once. */
export function takeHandOff(conversationId: string | null): TurnHandOff | null {
  const taken = peekHandOff(conversationId);
  if (taken) handOff = null;
  return taken;
}
