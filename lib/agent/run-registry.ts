import { AppError } from '@/lib/errors';
import type { RunEventLog } from '@/lib/stream/event-log';

/** A run in progress, as routes and pages see it. */
export type RunHandle = {
  id: string;
  conversationId: string;
  log: RunEventLog;
  /** Stops the run: the machine leaves its state, which aborts the model request behind it. */
  cancel(): void;
  /** Settles when the run has been stored and its log closed. */
  finished: Promise<void>;
};

export type RunRegistry = {
  /**
   * Runs `launch` unless the conversation already has a run (409 `run_in_progress`). The conversation is reserved
   * before anything is awaited, so two prompts cannot both start; it is free again once the run has finished.
   */
  start(conversationId: string, launch: () => Promise<RunHandle>): Promise<RunHandle>;
  find(conversationId: string): RunHandle | undefined;
  /** Asks the conversation's run to stop; undefined when nothing runs there. */
  cancel(conversationId: string): RunHandle | undefined;
};

export function createRunRegistry(): RunRegistry {
  const runs = new Map<string, RunHandle | 'starting'>();
  const find = (conversationId: string) => {
    const run = runs.get(conversationId);
    return run === 'starting' ? undefined : run;
  };
  return {
    async start(conversationId, launch) {
      if (runs.has(conversationId)) throw new AppError('run_in_progress');
      runs.set(conversationId, 'starting');
      try {
        const run = await launch();
        runs.set(conversationId, run);
        void run.finished.finally(() => {
          if (runs.get(conversationId) === run) runs.delete(conversationId);
        });
        return run;
      } catch (error) {
        runs.delete(conversationId);
        throw error;
      }
    },
    find,
    cancel(conversationId) {
      const run = find(conversationId);
      run?.cancel();
      return run;
    },
  };
}

/** Runs belong to the process, not to the request that started them: one registry, shared by every route bundle. */
const globalForRuns = globalThis as typeof globalThis & { __sluiceRunRegistry?: RunRegistry };
export const runRegistry: RunRegistry = (globalForRuns.__sluiceRunRegistry ??= createRunRegistry());
