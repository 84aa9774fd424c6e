import 'server-only';
import { isStoreUnavailable } from '@/lib/db/store-errors';

/** How often answers held through a store outage are offered to the store again. */
export const HELD_RETRY_MS = 2000;

/**
 * Answers whose runs ended while the store would not take them, held by the process until it does: each is tried
 * again every HELD_RETRY_MS, and at once before a new prompt in its conversation (whose run row they close).
 */
export type HeldTurns = {
  /** Holds the write that stores a conversation's finished turn. */
  hold(conversationId: string, write: () => Promise<unknown>): void;
  /** Stores the conversation's held turn now, if it has one; rejects while the store still refuses it. */
  settle(conversationId: string): Promise<void>;
  /** How many turns are held. */
  readonly size: number;
};

export function createHeldTurns(): HeldTurns {
  const held = new Map<string, { write: () => Promise<unknown>; attempt: Promise<void> | null }>();
  let timer: ReturnType<typeof setInterval> | undefined;

  const attempt = (conversationId: string): Promise<void> => {
    const entry = held.get(conversationId);
    if (!entry) return Promise.resolve();
    entry.attempt ??= entry
      .write()
      .then(
        () => {
          held.delete(conversationId);
          console.warn(JSON.stringify({ level: 'info', event: 'held_turn_stored', conversationId }));
        },
        (error: unknown) => {
          if (isStoreUnavailable(error)) throw error;
          // Not an outage: trying again would fail the same way forever.
          held.delete(conversationId);
          console.error('[sluice] a held answer could not be stored', error);
        },
      )
      .finally(() => {
        entry.attempt = null;
        if (held.size === 0) {
          clearInterval(timer);
          timer = undefined;
        }
      });
    return entry.attempt;
  };

  return {
    hold(conversationId, write) {
      held.set(conversationId, { write, attempt: null });
      timer ??= setInterval(() => {
        for (const id of held.keys()) void attempt(id).catch(() => {});
      }, HELD_RETRY_MS);
      timer.unref();
    },
    settle: attempt,
    get size() {
      return held.size;
    },
  };
}
