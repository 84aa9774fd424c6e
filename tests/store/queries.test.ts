import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store, type StoreOptions } from '@/lib/db/client';
import { insertConversation, deleteConversationRow, findConversation, selectConversations } from '@/lib/db/queries/conversations';
import { listMessages } from '@/lib/db/queries/messages';
import { createFork } from '@/lib/db/queries/forks';
import { closeOrphanedRuns } from '@/lib/db/queries/recovery';
import { selectRows } from '@/lib/db/queries/rows';
import { writeRunSteps } from '@/lib/db/queries/traces';
import { beginTurn, finishTurn } from '@/lib/db/queries/turns';
import { createScratchDatabase, explainSkippedPostgres, POSTGRES_URL } from '../helpers/postgres';
import { listRunSteps, listRuns } from '../helpers/store-queries';

explainSkippedPostgres();

type Backend = { name: string; options: () => Promise<StoreOptions>; cleanup: () => Promise<void> };

function pgliteBackend(): Backend {
  let dir = '';
  return {
    name: 'PGlite',
    async options() {
      dir = await mkdtemp(path.join(tmpdir(), 'sluice-store-'));
      return { dataDir: dir };
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

function postgresBackend(adminUrl: string): Backend {
  let drop = async () => {};
  return {
    name: 'PostgreSQL',
    async options() {
      const scratch = await createScratchDatabase(adminUrl);
      drop = scratch.drop;
      return { dataDir: '', databaseUrl: scratch.url };
    },
    cleanup: () => drop(),
  };
}

const backends = [pgliteBackend(), ...(POSTGRES_URL ? [postgresBackend(POSTGRES_URL)] : [])];

describe.each(backends)('the store on $name', (backend) => {
  let options: StoreOptions;
  let store: Store;

  beforeAll(async () => {
    options = await backend.options();
    store = await openStore(options);
  });
  afterAll(async () => {
    await store?.close();
    await backend.cleanup();
  });

  /** The session these tests act for (its cookie token's hash, as the app stores it). */
  const owner = `owner-${randomUUID()}`;
  const create = (id: string, ownerId = owner) => insertConversation(store.db, { id, ownerId });
  const roomyQuota = { runs: 1000, windowS: 60 };

  /** A prompt as the run service starts it. */
  const begin = (conversationId: string, prompt: string, runId = randomUUID(), ownerId = owner, quota = roomyQuota) =>
    beginTurn(store.db, { conversationId, ownerId, runId, messageId: randomUUID(), prompt, title: prompt }, quota);

  const finish = (conversationId: string, runId: string, content: string, snapshot: unknown = null) =>
    finishTurn(store.db, {
      runId,
      message: { id: randomUUID(), conversationId, runId, role: 'assistant', content, type: 'text', mode: 'answer_question', status: 'complete' },
      outcome: { status: 'complete', mode: 'answer_question' },
      snapshot,
    });

  it('starts a turn in one statement: the user message and the run are written, the title set once', async () => {
    const id = randomUUID();
    const [run1, run2] = [randomUUID(), randomUUID()];
    await create(id);
    expect(await begin(id, 'first', run1)).toEqual({ status: 'begun', snapshot: null, priorMessages: 0 });
    const stored = await finish(id, run1, 'answer', { value: 'prompt', context: { turns: 1 } });
    expect(await begin(id, 'second', run2)).toEqual({ status: 'begun', snapshot: { value: 'prompt', context: { turns: 1 } }, priorMessages: 2 });

    const items = await listMessages(store.db, id);
    expect(items.map((m) => [m.role, m.content])).toEqual([
      ['user', 'first'],
      ['assistant', 'answer'],
      ['user', 'second'],
    ]);
    expect(items[1]).toEqual(stored);
    expect(items[1]).toMatchObject({ role: 'assistant', mode: 'answer_question', status: 'complete', type: 'text' });
    expect(items[0]).not.toHaveProperty('mode');
    expect((await findConversation(store.db, id, owner))?.title).toBe('first');
    const runs = await listRuns(store.db, id);
    expect(runs.map((r) => [r.id, r.status])).toEqual([
      [run1, 'complete'],
      [run2, 'running'],
    ]);
  });

  it('runs one turn at a time per conversation, even when two processes begin one together', async () => {
    const id = randomUUID();
    await create(id);
    // On PostgreSQL a second store is a second pool, as another instance would have; PGlite has one connection.
    const other = options.databaseUrl ? await openStore(options) : store;
    try {
      const [runA, runB] = [randomUUID(), randomUUID()];
      const results = await Promise.all([
        begin(id, 'from A', runA),
        beginTurn(other.db, { conversationId: id, ownerId: owner, runId: runB, messageId: randomUUID(), prompt: 'from B', title: 'B' }, roomyQuota),
      ]);
      expect(results.map((r) => r.status).sort()).toEqual(['begun', 'busy']);
      const winner = results[0]?.status === 'begun' ? runA : runB;
      expect((await listMessages(store.db, id)).map((m) => m.content)).toEqual([winner === runA ? 'from A' : 'from B']);
      expect((await listRuns(store.db, id)).map((r) => r.id)).toEqual([winner]);
      // A refused prompt does not count against the quota: with two runs a window, the session still has its second.
      const sessionOwner = `owner-${randomUUID()}`;
      const quota = { runs: 2, windowS: 60 };
      const own = randomUUID();
      await create(own, sessionOwner);
      const first = randomUUID();
      expect((await begin(own, 'first', first, sessionOwner, quota)).status).toBe('begun');
      expect(await begin(own, 'again', randomUUID(), sessionOwner, quota)).toEqual({ status: 'busy' });
      await finish(own, first, 'answer');
      expect((await begin(own, 'second', randomUUID(), sessionOwner, quota)).status).toBe('begun');
      // Once the running turn is finished, the conversation takes the next prompt.
      await finish(id, winner, 'done');
      expect((await begin(id, 'next')).status).toBe('begun');
    } finally {
      if (other !== store) await other.close();
    }
  });

  it('starts nothing in a conversation that does not exist', async () => {
    const id = randomUUID();
    expect(await begin(id, 'hello?')).toEqual({ status: 'not_found' });
    expect(await listMessages(store.db, id)).toEqual([]);
    expect(await listRuns(store.db, id)).toEqual([]);
  });

  it("keeps each session to its own conversations: another's are not listed, found, deleted or prompted", async () => {
    const [mine, theirs] = [randomUUID(), randomUUID()];
    const stranger = `owner-${randomUUID()}`;
    await create(mine);
    await create(theirs, stranger);
    const listed = async (ownerId: string) => (await selectConversations(store.db, ownerId)).map((c) => c.id);
    expect(await listed(owner)).toContain(mine);
    expect(await listed(owner)).not.toContain(theirs);
    expect(await listed(stranger)).toEqual([theirs]);
    expect(await findConversation(store.db, theirs, owner)).toBeNull();
    expect(await begin(theirs, 'let me in', randomUUID(), owner)).toEqual({ status: 'not_found' });
    expect(await listMessages(store.db, theirs)).toEqual([]);
    expect(await deleteConversationRow(store.db, theirs, owner)).toBe(false);
    expect((await findConversation(store.db, theirs, stranger))?.id).toBe(theirs);
  });

  it('counts runs per session against its quota in one statement, even when prompts arrive together', async () => {
    const sessionOwner = `owner-${randomUUID()}`;
    const quota = { runs: 3, windowS: 60 };
    const ids = Array.from({ length: 8 }, () => randomUUID());
    for (const id of ids) await create(id, sessionOwner);
    const results = await Promise.all(ids.map((id) => begin(id, 'at once', randomUUID(), sessionOwner, quota)));
    expect(results.filter((r) => r.status === 'begun')).toHaveLength(3);
    const limited = results.filter((r) => r.status === 'rate_limited');
    expect(limited).toHaveLength(5);
    for (const result of limited) expect(result).toMatchObject({ retryAfterS: expect.any(Number) });
    expect(limited.every((r) => r.status === 'rate_limited' && r.retryAfterS >= 1 && r.retryAfterS <= 60)).toBe(true);
    // Refused prompts leave nothing behind.
    const stored = await Promise.all(ids.map((id) => listMessages(store.db, id)));
    expect(stored.flat()).toHaveLength(3);
    // Another session has a quota of its own.
    const [otherOwner, otherId] = [`owner-${randomUUID()}`, randomUUID()];
    await create(otherId, otherOwner);
    expect((await begin(otherId, 'mine', randomUUID(), otherOwner, quota)).status).toBe('begun');
    // Once the window has passed, a new one opens with the next run.
    await store.db.execute(sql`update run_quotas set window_started_at = now() - interval '61 seconds' where owner_id = ${sessionOwner}`);
    await closeOrphanedRuns(store.db);
    expect((await begin(ids[0]!, 'later', randomUUID(), sessionOwner, quota)).status).toBe('begun');
    expect((await begin(ids[1]!, 'later', randomUUID(), sessionOwner, quota)).status).toBe('begun');
  });

  it('lists conversations by their last message, newest first, even within one clock tick', async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    await create(a);
    await create(b);
    const order = async () => (await selectConversations(store.db, owner)).map((c) => c.id).filter((id) => id === a || id === b);
    expect(await order()).toEqual([b, a]);
    const runA = randomUUID();
    await begin(a, 'a speaks', runA);
    expect(await order()).toEqual([a, b]);
    await begin(b, 'b speaks');
    expect(await order()).toEqual([b, a]);
    await finish(a, runA, 'a is answered');
    expect(await order()).toEqual([a, b]);
  });

  it('deletes a conversation with its messages, runs and steps', async () => {
    const id = randomUUID();
    const runId = randomUUID();
    await create(id);
    await begin(id, 'p', runId);
    await writeRunSteps(store.db, [{ runId, seq: 1, name: 'check_safety', status: 'started', input: { prompt: 'p' } }]);
    expect(await deleteConversationRow(store.db, id, owner)).toBe(true);
    expect(await findConversation(store.db, id, owner)).toBeNull();
    expect(await listMessages(store.db, id)).toEqual([]);
    expect(await listRunSteps(store.db, runId)).toEqual([]);
    expect(await deleteConversationRow(store.db, id, owner)).toBe(false);
  });

  it('records a run and its steps with inputs, outputs and snapshots, inserting or updating each row', async () => {
    const id = randomUUID();
    const runId = randomUUID();
    await create(id);
    await begin(id, 'p', runId);
    const startedAt = new Date('2026-01-01T00:00:00.000Z');
    const endedAt = new Date('2026-01-01T00:00:00.250Z');
    const decide = { runId, seq: 1, name: 'decide_mode', input: { prompt: 'p' }, startedAt };
    await writeRunSteps(store.db, [{ ...decide, status: 'started' }]);
    // The first step ends and the second starts and ends, all in one later write.
    await writeRunSteps(store.db, [
      { ...decide, status: 'completed', output: { mode: 'generate_code' }, snapshot: { value: 'x', context: { n: 1 } }, endedAt },
      { runId, seq: 2, name: 'generate_code', status: 'completed', input: { prompt: 'p' }, output: { content: 'c' }, startedAt, endedAt },
    ]);
    await finish(id, runId, 'answer');
    const steps = await listRunSteps(store.db, runId);
    expect(steps.map((s) => [s.seq, s.name, s.status])).toEqual([
      [1, 'decide_mode', 'completed'],
      [2, 'generate_code', 'completed'],
    ]);
    expect(steps[0]).toMatchObject({ output: { mode: 'generate_code' }, snapshot: { value: 'x', context: { n: 1 } }, startedAt, endedAt });
    const [run] = await listRuns(store.db, id);
    expect(run).toMatchObject({ status: 'complete', mode: 'answer_question' });
    expect(run?.endedAt).toBeInstanceOf(Date);
  });

  it("keeps an answer's reasoning and how long the model thought apart from its content, and copies them into a fork", async () => {
    const id = randomUUID();
    const runId = randomUUID();
    await create(id);
    await begin(id, 'how many?', runId);
    const message = {
      id: randomUUID(), conversationId: id, runId, role: 'assistant' as const, content: 'Four.', type: 'text' as const,
      mode: 'answer_question' as const, status: 'complete' as const, reasoning: 'Two and two make four.', reasoningMs: 1500,
    };
    const stored = await finishTurn(store.db, { runId, message, outcome: { status: 'complete', mode: 'answer_question' }, snapshot: null });
    expect(stored).toMatchObject({ content: 'Four.', reasoning: 'Two and two make four.', reasoningMs: 1500 });
    const [, answer] = await listMessages(store.db, id);
    expect(answer).toMatchObject({ content: 'Four.', reasoning: 'Two and two make four.', reasoningMs: 1500 });
    const fork = randomUUID();
    const [{ seq }] = (await selectRows<{ seq: number }>(store.db, sql`select max(seq)::int as seq from messages where conversation_id = ${id}`)) as [{ seq: number }];
    await createFork(store.db, { id: fork, ownerId: owner, title: 'fork', parent: { conversationId: id, runId, step: 'answer_question' }, throughSeq: seq });
    expect((await listMessages(store.db, fork))[1]).toMatchObject({ reasoning: 'Two and two make four.', reasoningMs: 1500 });
  });

  it('survives a reopen: data and the persisted machine snapshot are still there, migrations re-apply as a no-op', async () => {
    const id = randomUUID();
    const runId = randomUUID();
    await create(id);
    await begin(id, 'remember me', runId);
    await finish(id, runId, 'I will', { status: 'active', value: 'prompt', context: { turns: 1 } });
    await store.close();
    store = await openStore(options);
    expect((await listMessages(store.db, id)).map((m) => m.content)).toEqual(['remember me', 'I will']);
    expect((await findConversation(store.db, id, owner))?.snapshot).toMatchObject({ value: 'prompt', context: { turns: 1 } });
  });

  it("closes one run whose producer was lost with the answer its readers saw; the producer's late finish writes nothing", async () => {
    const id = randomUUID();
    await create(id);
    const [lost, other] = [randomUUID(), randomUUID()];
    await begin(id, 'tell me', lost);
    const bystander = randomUUID();
    await create(bystander);
    await begin(bystander, 'still running', other);
    const answer = { content: 'The first half of an ans', reasoning: 'They ask for an answer.', mode: 'answer_question' as const };
    expect(await closeOrphanedRuns(store.db, { runId: lost, answer })).toBe(1);
    expect(await closeOrphanedRuns(store.db, { runId: lost, answer })).toBe(0);
    expect((await listMessages(store.db, id)).map((m) => [m.role, m.content, m.status, m.mode ?? null, m.reasoning ?? null])).toEqual([
      ['user', 'tell me', 'complete', null, null],
      ['assistant', answer.content, 'interrupted', 'answer_question', answer.reasoning],
    ]);
    // The producer, stalled past its lease, comes back and finishes: nothing of it is stored.
    expect(await finish(id, lost, 'The first half of an answer, and the rest', { value: 'prompt' })).toBeNull();
    expect(await listMessages(store.db, id)).toHaveLength(2);
    expect((await findConversation(store.db, id, owner))?.snapshot).toBeNull();
    expect((await listRuns(store.db, bystander)).map((r) => r.status)).toEqual(['running']);
    // The conversation takes the next prompt.
    expect((await begin(id, 'again')).status).toBe('begun');
  });

  it('closes runs a dead process left running: the saved answer stored as interrupted, steps closed, history rebuilt', async () => {
    // (earlier tests here leave runs open on purpose: close those first)
    await closeOrphanedRuns(store.db);
    const id = randomUUID();
    const [answered, unanswered] = [randomUUID(), randomUUID()];
    await create(id);
    await begin(id, 'first', answered);
    const startedAt = new Date();
    await writeRunSteps(store.db, [
      { runId: answered, seq: 1, name: 'decide_mode', status: 'completed', input: {}, output: { mode: 'generate_code' }, startedAt, endedAt: startedAt },
      { runId: answered, seq: 2, name: 'generate_code', status: 'started', input: {}, output: { content: '```js\nconsole.', reasoning: 'Log it.' }, startedAt },
    ]);
    const [other, calm] = [randomUUID(), randomUUID()];
    await create(other);
    await begin(other, 'second', unanswered);
    await create(calm);
    const finished = randomUUID();
    await begin(calm, 'third', finished);
    await finish(calm, finished, 'done properly', { value: 'prompt' });

    expect(await closeOrphanedRuns(store.db)).toBe(2);
    expect((await listMessages(store.db, id)).map((m) => [m.role, m.content, m.status, m.type, m.mode ?? null, m.reasoning ?? null])).toEqual([
      ['user', 'first', 'complete', 'text', null, null],
      ['assistant', '```js\nconsole.', 'interrupted', 'code', 'generate_code', 'Log it.'],
    ]);
    expect((await listMessages(store.db, other)).map((m) => [m.role, m.status])).toContainEqual(['assistant', 'interrupted']);
    expect((await listRuns(store.db, id)).map((r) => r.status)).toEqual(['interrupted']);
    expect((await listRuns(store.db, other)).map((r) => r.status)).toEqual(['interrupted']);
    expect((await listRuns(store.db, calm)).map((r) => r.status)).toEqual(['complete']);
    expect((await listRunSteps(store.db, answered)).map((s) => s.status)).toEqual(['completed', 'interrupted']);
    expect((await findConversation(store.db, id, owner))?.snapshot).toBeNull();
    // nothing left to close
    expect(await closeOrphanedRuns(store.db)).toBe(0);
  });
});

describe.runIf(POSTGRES_URL)('instances starting together on a new PostgreSQL database', () => {
  it('take turns at the migrations: all of them open the store, with the schema applied once', async () => {
    const scratch = await createScratchDatabase(POSTGRES_URL!);
    try {
      const stores = await Promise.all([1, 2, 3].map(() => openStore({ dataDir: '', databaseUrl: scratch.url })));
      try {
        const applied = await stores[0]!.db.execute(sql`select count(*)::int as n from drizzle.__drizzle_migrations`);
        const [row] = (applied as unknown as { rows: { n: number }[] }).rows;
        const journal = (await import('@/lib/db/migrations/meta/_journal.json')).default as { entries: unknown[] };
        expect(row?.n).toBe(journal.entries.length);
      } finally {
        await Promise.all(stores.map((store) => store.close()));
      }
    } finally {
      await scratch.drop();
    }
  });
});
