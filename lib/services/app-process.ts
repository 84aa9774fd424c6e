import 'server-only';
import type { Redis } from 'ioredis';
import { createOidcSignIn, type OidcSignIn } from '@/lib/auth/oidc';
import { sharedThroughRedis, singleProcess, type RunPlacement } from '@/lib/agent/run-placement';
import { createRunRegistry } from '@/lib/agent/run-registry';
import { createRunService, type RunService } from '@/lib/agent/run-service';
import { openStore, type Store } from '@/lib/db/client';
import { closeOrphanedRuns } from '@/lib/db/queries/recovery';
import { getEnv, oidcSettings, type Env } from '@/lib/env';
import { createModels, type Models } from '@/lib/llm';
import { collectWhenQuiet, fullCollection } from '@/lib/runtime/collect-when-quiet';
import { connectRedis } from '@/lib/stream/redis-client';
import { listenForRunCancels } from '@/lib/stream/run-lease';

/**
 * Everything a server process holds once: the store, the model clients, the runs in progress (their registry,
 * where they live, their trace sink) and, with several instances, the Redis client and its stop channel. Built
 * here and nowhere else; routes and pages ask `getAppProcess()` and hand the parts to `lib/` functions.
 */
export type AppProcess = {
  env: Env;
  store: Store;
  models: Models;
  runs: RunService;
  /** Null in one process (no REDIS_URL): runs live in memory. */
  redis: Redis | null;
  /** Sign-in with the OpenID Connect provider; null when it is not configured (anonymous sessions only). */
  signIn: OidcSignIn | null;
};

async function buildAppProcess(): Promise<AppProcess> {
  const env = getEnv();
  const models = createModels(env);
  const store = await openStore({ databaseUrl: env.DATABASE_URL, dataDir: env.DATA_DIR });
  const registry = createRunRegistry();
  const redis = env.REDIS_URL ? await connectRedis(env.REDIS_URL) : null;
  let placement: RunPlacement = singleProcess;
  if (redis) {
    // One subscription per process carries stops asked on other instances to the runs produced here.
    listenForRunCancels(redis, (runId) => registry.cancelById(runId));
    placement = sharedThroughRedis({ db: store.db, redis, leaseMs: env.RUN_LEASE_MS });
  } else {
    // One process holds its runs in memory: any still marked running belong to a process that is gone. With
    // several instances another may be running them: a run is closed only once its producer's lease has lapsed,
    // by a reader or the next prompt (lib/agent/run-placement.ts).
    const closed = await closeOrphanedRuns(store.db);
    if (closed > 0) console.warn(JSON.stringify({ level: 'warn', event: 'orphaned_runs_closed', count: closed }));
  }
  const runs = createRunService({
    db: store.db,
    models,
    registry,
    quota: { runs: env.RATE_LIMIT_RUNS, windowS: env.RATE_LIMIT_WINDOW_S },
    preSteps: env.PRE_STEPS,
    placement,
    storeRetryMs: env.STORE_RETRY_MS,
  });
  const settings = oidcSettings(env);
  const signIn = settings ? createOidcSignIn(settings) : null;
  // What a burst of work leaves behind is given back once the process is quiet again, on the store's thread too.
  const collect = fullCollection();
  collectWhenQuiet({
    collect: () => {
      collect();
      store.collectGarbage();
    },
  });
  return { env, store, models, runs, redis, signIn };
}

// Kept on globalThis: every route bundle shares one, and `next dev` keeps it across hot reloads.
const held = globalThis as typeof globalThis & { __sluiceAppProcess?: Promise<AppProcess> };

/** The process's one set of services, built on first use; a build that failed (the store was away) is tried again. */
export function getAppProcess(): Promise<AppProcess> {
  if (!held.__sluiceAppProcess) {
    const building = buildAppProcess();
    building.catch(() => {
      if (held.__sluiceAppProcess === building) held.__sluiceAppProcess = undefined;
    });
    held.__sluiceAppProcess = building;
  }
  return held.__sluiceAppProcess;
}
