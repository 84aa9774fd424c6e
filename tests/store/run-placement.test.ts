import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedThroughRedis, singleProcess } from '@/lib/agent/run-placement';
import { createRunRegistry, type RunHandle } from '@/lib/agent/run-registry';
import { cancelRun, findRun, isRunning, stopRunAndWait } from '@/lib/agent/run-lookup';
import { createRunService, type RunService } from '@/lib/agent/run-service';
import { startRun } from '@/lib/agent/start-run';
import type { StreamEvent } from '@/lib/contract';
import { openStore, type Store } from '@/lib/db/client';
import { insertConversation } from '@/lib/db/queries/conversations';
import { listMessages } from '@/lib/db/queries/messages';
import type { Models } from '@/lib/llm';
import { createDemoModel } from '@/lib/llm/demo-model';
import { checkWithRules } from '@/lib/llm/safety';
import type { LoggedEvent } from '@/lib/stream/event-log';
import { listenForRunCancels } from '@/lib/stream/run-lease';
import { connectedRedis, explainSkippedRedis, REDIS_URL } from '../helpers/redis';
import { listRuns } from '../helpers/store-queries';

explainSkippedRedis();

const OWNER = 'owner-of-the-placement-tests';
/** Slow enough that a run is still writing while another instance looks at it. */
const models: Models = {
  chat: createDemoModel(40),
  safety: { kind: 'rules', check: async (prompt) => checkWithRules(prompt) },
  fixedTextDelayMs: 1,
};
const quota = { runs: 1000, windowS: 60 };

/** Every entry a reader gets, ids included, until the log closes. */
function read(run: RunHandle, afterId = 0) {
  const seen: LoggedEvent[] = [];
  const closed = new Promise<LoggedEvent[]>((resolve) => run.log.follow(afterId, { onEvent: (entry) => seen.push(entry), onClose: () => resolve(seen) }));
  return { seen, closed };
}

const textOf = (entries: LoggedEvent[]) =>
  entries.map(({ event }) => (event.type === 'delta' ? event.value : '')).join('');
const until = async (check: () => boolean) => {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 10));
};

describe('a single process', () => {
  it('places runs in memory only: nothing runs elsewhere, nothing is reclaimed', async () => {
    const claim = await singleProcess.claim(randomUUID());
    const log = claim.openLog(() => {});
    log.append({ type: 'delta', value: 'a' });
    expect(log.lastId).toBe(1);
    expect(await singleProcess.runningElsewhere(randomUUID(), OWNER)).toBeNull();
    expect(await singleProcess.reclaimLostRun(randomUUID(), OWNER)).toBe(false);
  });
});

describe.runIf(REDIS_URL)('runs placed in Redis, seen from two instances', () => {
  let store: Store;
  let redis: Redis;
  let stopListening = () => {};
  // Two instances in one process: each its own registry, both on one store and one Redis.
  const registryA = createRunRegistry();
  const registryB = createRunRegistry();
  let a: RunService;
  let b: RunService;

  beforeAll(async () => {
    store = await openStore({ dataDir: 'memory://' });
    redis = await connectedRedis(REDIS_URL!);
    const placement = sharedThroughRedis({ db: store.db, redis, leaseMs: 1000 });
    stopListening = listenForRunCancels(redis, (runId) => registryA.cancelById(runId));
    a = createRunService({ db: store.db, models, registry: registryA, quota, placement });
    b = createRunService({ db: store.db, models, registry: registryB, quota, placement });
  });
  afterAll(async () => {
    stopListening();
    redis?.disconnect();
    await store?.close();
  });

  async function newConversation() {
    const id = randomUUID();
    await insertConversation(store.db, { id, ownerId: OWNER });
    return id;
  }

  it('follows a run of A from B with the same ids and events, from any point', async () => {
    const id = await newConversation();
    const run = await startRun(a, id, OWNER, 'tell me about rivers and why they meander');
    const onA = read(run);
    await until(() => onA.seen.filter(({ event }) => event.type === 'delta').length >= 3);

    expect(await isRunning(b, id, OWNER)).toBe(true);
    const there = await findRun(b, id, OWNER);
    expect(there?.id).toBe(run.id);
    const resumeAfter = onA.seen[1]!.id;
    const [fromA, fromB, resumedOnB] = await Promise.all([onA.closed, read(there!).closed, read(there!, resumeAfter).closed]);

    expect(fromB).toEqual(fromA);
    expect(resumedOnB).toEqual(fromA.filter((entry) => entry.id > resumeAfter));
    expect(fromA.at(-1)?.event.type).toBe('done');
    expect(await isRunning(b, id, OWNER)).toBe(false);
  });

  it('stops a run of A from B; the answer is stored as interrupted with the text readers saw', async () => {
    const id = await newConversation();
    const run = await startRun(a, id, OWNER, 'tell me about the longest rivers on earth');
    const onA = read(run);
    await until(() => textOf(onA.seen).length > 20);

    await cancelRun(b, id, OWNER);
    const seen = await onA.closed;
    const end = seen.at(-1)?.event as StreamEvent;
    expect(end.type).toBe('done');
    const [, answer] = await listMessages(store.db, id);
    expect(answer).toMatchObject({ role: 'assistant', status: 'interrupted', content: textOf(seen) });
    expect((await listRuns(store.db, id))[0]?.status).toBe('interrupted');
  });

  it('keeps a lease from the moment it is taken: a run whose start queues for longer than a lease still produces', async () => {
    const placement = sharedThroughRedis({ db: store.db, redis, leaseMs: 500 });
    const runId = randomUUID();
    const claim = await placement.claim(runId);
    // Beginning the turn waited behind others for three lease periods.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const stops: string[] = [];
    const log = claim.openLog(() => stops.push('stopped'));
    const seen: LoggedEvent[] = [];
    const closed = new Promise<void>((resolve) => log.follow(0, { onEvent: (entry) => seen.push(entry), onClose: resolve }));
    log.append({ type: 'delta', value: 'still mine' });
    log.close();
    await closed;
    expect(seen.map(({ event }) => event)).toEqual([{ type: 'delta', value: 'still mine' }]);
    expect(stops).toEqual([]);
  });

  it('holds one running run per conversation across instances, and B waits for a stopped run of A to be stored', async () => {
    const id = await newConversation();
    await startRun(a, id, OWNER, 'tell me about deltas');
    await expect(startRun(b, id, OWNER, 'and estuaries?')).rejects.toMatchObject({ code: 'run_in_progress' });

    await stopRunAndWait(b, id, OWNER);
    expect((await listRuns(store.db, id))[0]?.status).toBe('interrupted');
    const next = await startRun(b, id, OWNER, 'and estuaries?');
    expect((await read(next).closed).at(-1)?.event.type).toBe('done');
  });
});
