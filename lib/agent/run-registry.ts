import { AppError } from '@/lib/errors';
import type { RunEventSource } from '@/lib/stream/event-log';

/** A run in progress, as routes and pages see it. */
export type RunHandle = {
  id: string;
  conversationId: string;
  log: RunEventSource;
  /** Stops the run: the machine leaves its state, which aborts the model request behind it. */
  cancel(): void;
  /** Settles when the run has been stored and its log closed. */
  finished: Promise<void>;
};

/**
 * The runs in progress, one per conversation, each with the session that owns its conversation: another session
 * is told nothing runs there (and cannot tell a conversation it does not own from one that does not exist).
 */
export type RunRegistry = {
  /**
   * Runs `launch` unless the conversation already has a run (409 `run_in_progress`; 404 `not_found` when another
   * session started it). The conversation is reserved before anything is awaited, so two prompts cannot both
   * start; it is free again once the run has finished.
   */
  start(conversationId: string, ownerId: string, launch: () => Promise<RunHandle>): Promise<RunHandle>;
  find(conversationId: string, ownerId: string): RunHandle | undefined;
  /** Asks the conversation's run to stop; undefined when nothing of that session runs there. */
  cancel(conversationId: string, ownerId: string): RunHandle | undefined;
  /** Asks the run with that id to stop, if it runs in this process (a stop asked on another instance). */
  cancelById(runId: string): boolean;
  /** Hands the runs of one owner to another (a guest who signed in: their conversations are now the account's). */
  reown(fromOwnerId: string, toOwnerId: string): number;
};

type Entry = { ownerId: string; run: RunHandle | null };

export function createRunRegistry(): RunRegistry {
  const entries = new Map<string, Entry>();
  const find = (conversationId: string, ownerId: string) => {
    const entry = entries.get(conversationId);
    return entry?.ownerId === ownerId ? (entry.run ?? undefined) : undefined;
  };
  return {
    async start(conversationId, ownerId, launch) {
      const current = entries.get(conversationId);
      if (current) throw new AppError(current.ownerId === ownerId ? 'run_in_progress' : 'not_found');
      const entry: Entry = { ownerId, run: null };
      entries.set(conversationId, entry);
      try {
        const run = await launch();
        entry.run = run;
        void run.finished.finally(() => {
          if (entries.get(conversationId) === entry) entries.delete(conversationId);
        });
        return run;
      } catch (error) {
        entries.delete(conversationId);
        throw error;
      }
    },
    find,
    cancelById(runId) {
      for (const { run } of entries.values()) {
        if (run?.id === runId) {
          run.cancel();
          return true;
        }
      }
      return false;
    },
    reown(fromOwnerId, toOwnerId) {
      let moved = 0;
      for (const entry of entries.values()) {
        if (entry.ownerId !== fromOwnerId) continue;
        entry.ownerId = toOwnerId;
        moved++;
      }
      return moved;
    },
    cancel(conversationId, ownerId) {
      const run = find(conversationId, ownerId);
      run?.cancel();
      return run;
    },
  };
}
