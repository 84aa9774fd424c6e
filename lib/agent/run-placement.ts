import 'server-only';
import type { Redis } from 'ioredis';
import { answerSeen } from '@/lib/agent/run-events';
import type { RunHandle } from '@/lib/agent/run-registry';
import type { StreamEvent } from '@/lib/contract';
import type { Db } from '@/lib/db/client';
import { closeOrphanedRuns } from '@/lib/db/queries/recovery';
import { findRunningRun } from '@/lib/db/queries/turns';
import { AppError } from '@/lib/errors';
import { createMemoryEventLog, type RunEventLog } from '@/lib/stream/event-log';
import { whenReady } from '@/lib/stream/redis-client';
import { createRedisRunLog } from '@/lib/stream/redis-run-log';
import { declareProducerLost, followRedisRun } from '@/lib/stream/redis-run-reader';
import { acquireRunLease, leaseRenewalMs, releaseRunLease, renewRunLease, requestRunCancel } from '@/lib/stream/run-lease';

/** A run's place, held from before anything of it is written until it ends. */
export type RunClaim = {
  /** The log its events go to; `stop` ends the run when the log cannot go on or a stop is asked elsewhere. */
  openLog(stop: () => void): RunEventLog;
  /** Gives the place back for a run that did not begin. */
  release(): void;
};

/**
 * Where runs live: in this process alone, or (several instances) in Redis, where any instance can follow and stop
 * what another produces. PostgreSQL stays the record of which run is going on either way.
 */
export type RunPlacement = {
  claim(runId: string): Promise<RunClaim>;
  /**
   * Closes the conversation's running run when its producer is gone (an instance that died with no reader to
   * notice), so that a new prompt can start. False when nothing was closed.
   */
  reclaimLostRun(conversationId: string, ownerId: string): Promise<boolean>;
  /** The conversation's run produced by another instance, as this one serves it; null when none. */
  runningElsewhere(conversationId: string, ownerId: string): Promise<RunHandle | null>;
};

/** One process: the in-memory log is the whole story. */
export const singleProcess: RunPlacement = {
  claim: async () => ({ openLog: () => createMemoryEventLog(), release: () => {} }),
  reclaimLostRun: async () => false,
  runningElsewhere: async () => null,
};

/** How often a stop waiting on another instance's run looks whether it has ended. */
const REMOTE_POLL_MS = 100;
/** How much longer than a lease a stop waits for another instance's run to end. */
const REMOTE_WAIT_SLACK_MS = 5000;

/** Runs shared through Redis Streams; each run's producer holds a lease of `leaseMs` with a fencing token. */
export function sharedThroughRedis({ db, redis, leaseMs }: { db: Db; redis: Redis; leaseMs: number }): RunPlacement {
  /** Stores a run whose producer was lost with the answer its readers saw, freeing its conversation. */
  const closeLostRun = async (runId: string, events: StreamEvent[]) => {
    await closeOrphanedRuns(db, { runId, answer: answerSeen(events) });
  };

  /** False when its producer still holds its lease, or another caller is closing it (one script checks both). */
  const reclaim = async (runId: string): Promise<boolean> => {
    const events = await declareProducerLost(redis, runId);
    if (!events) return false;
    await closeLostRun(runId, events);
    return true;
  };

  /** A run another instance produces, as this one serves it: followed through Redis, stopped by asking. */
  function remoteRun(runId: string, conversationId: string, ownerId: string): RunHandle {
    const ended = async () => {
      // A stop reaches its producer within moments; one that is gone is declared lost here instead. Past a lease
      // and some, or with Redis away, it stops waiting: what follows (a delete) leaves a late producer nothing to
      // write into.
      const deadline = performance.now() + leaseMs + REMOTE_WAIT_SLACK_MS;
      while (performance.now() < deadline && (await findRunningRun(db, conversationId, ownerId)) === runId) {
        if (await reclaim(runId).catch(() => false)) return;
        await new Promise((resolve) => setTimeout(resolve, REMOTE_POLL_MS));
      }
    };
    return {
      id: runId,
      conversationId,
      log: {
        follow: (afterId, listener) =>
          followRedisRun({ redis, runId, afterId, listener, onDeclaredLost: (events) => closeLostRun(runId, events) }),
      },
      cancel: () =>
        void whenReady(redis)
          .then(() => requestRunCancel(redis, runId))
          .catch((error: unknown) => console.error('[sluice] could not ask for a stop', error)),
      get finished() {
        return ended();
      },
    };
  }

  return {
    async claim(runId) {
      let token: string;
      try {
        token = await acquireRunLease(await whenReady(redis), runId, leaseMs);
      } catch (error) {
        if (error instanceof AppError) throw error;
        console.error('[sluice] could not take a run lease', error);
        throw new AppError('stream_unavailable');
      }
      // Kept until the log takes it over: beginning the turn can queue behind many others for longer than a lease.
      const keeping = setInterval(() => void renewRunLease(redis, runId, token, leaseMs).catch(() => undefined), leaseRenewalMs(leaseMs));
      return {
        openLog: (stop) => {
          clearInterval(keeping);
          return createRedisRunLog({ redis, runId, token, leaseMs, onFailure: stop, onCancelRequested: stop });
        },
        release: () => {
          clearInterval(keeping);
          void releaseRunLease(redis, runId, token).catch(() => undefined);
        },
      };
    },
    async reclaimLostRun(conversationId, ownerId) {
      const runId = await findRunningRun(db, conversationId, ownerId);
      return runId !== null && (await reclaim(runId));
    },
    async runningElsewhere(conversationId, ownerId) {
      // PostgreSQL says whether it runs; Redis is needed only to follow or stop it (a page can say so without it).
      const runId = await findRunningRun(db, conversationId, ownerId);
      return runId ? remoteRun(runId, conversationId, ownerId) : null;
    },
  };
}
