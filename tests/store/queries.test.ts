import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store, type StoreOptions } from '@/lib/db/client';
import {
  beginTurn,
  closeOrphanedRuns,
  createConversation,
  deleteConversation,
  findConversation,
  finishTurn,
  listConversations,
  listMessages,
  listRunSteps,
  listRuns,
  writeRunSteps,
} from '@/lib/db/queries';
import { createScratchDatabase, explainSkippedPostgres, POSTGRES_URL } from '../helpers/postgres';

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

  /** A prompt as the run service starts it. */
  const begin = (conversationId: string, prompt: string, runId = randomUUID()) =>
    beginTurn(store.db, { conversationId, runId, messageId: randomUUID(), prompt, title: prompt });

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
    await createConversation(store.db, id);
    expect(await begin(id, 'first', run1)).toEqual({ snapshot: null, priorMessages: 0 });
    const stored = await finish(id, run1, 'answer', { value: 'prompt', context: { turns: 1 } });
    expect(await begin(id, 'second', run2)).toEqual({ snapshot: { value: 'prompt', context: { turns: 1 } }, priorMessages: 2 });

    const items = await listMessages(store.db, id);
    expect(items.map((m) => [m.role, m.content])).toEqual([
      ['user', 'first'],
      ['assistant', 'answer'],
      ['user', 'second'],
    ]);
    expect(items[1]).toEqual(stored);
    expect(items[1]).toMatchObject({ role: 'assistant', mode: 'answer_question', status: 'complete', type: 'text' });
    expect(items[0]).not.toHaveProperty('mode');
    expect((await findConversation(store.db, id))?.title).toBe('first');
    const runs = await listRuns(store.db, id);
    expect(runs.map((r) => [r.id, r.status])).toEqual([
      [run1, 'complete'],
      [run2, 'running'],
    ]);
  });

  it('starts nothing in a conversation that does not exist', async () => {
    const id = randomUUID();
    expect(await begin(id, 'hello?')).toBeNull();
    expect(await listMessages(store.db, id)).toEqual([]);
    expect(await listRuns(store.db, id)).toEqual([]);
  });

  it('lists conversations by their last message, newest first, even within one clock tick', async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    await createConversation(store.db, a);
    await createConversation(store.db, b);
    const order = async () => (await listConversations(store.db)).map((c) => c.id).filter((id) => id === a || id === b);
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
    await createConversation(store.db, id);
    await begin(id, 'p', runId);
    await writeRunSteps(store.db, [{ runId, seq: 1, name: 'check_safety', status: 'started', input: { prompt: 'p' } }]);
    expect(await deleteConversation(store.db, id)).toBe(true);
    expect(await findConversation(store.db, id)).toBeNull();
    expect(await listMessages(store.db, id)).toEqual([]);
    expect(await listRunSteps(store.db, runId)).toEqual([]);
    expect(await deleteConversation(store.db, id)).toBe(false);
  });

  it('records a run and its steps with inputs, outputs and snapshots, inserting or updating each row', async () => {
    const id = randomUUID();
    const runId = randomUUID();
    await createConversation(store.db, id);
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

  it('survives a reopen: data and the persisted machine snapshot are still there, migrations re-apply as a no-op', async () => {
    const id = randomUUID();
    const runId = randomUUID();
    await createConversation(store.db, id);
    await begin(id, 'remember me', runId);
    await finish(id, runId, 'I will', { status: 'active', value: 'prompt', context: { turns: 1 } });
    await store.close();
    store = await openStore(options);
    expect((await listMessages(store.db, id)).map((m) => m.content)).toEqual(['remember me', 'I will']);
    expect((await findConversation(store.db, id))?.snapshot).toMatchObject({ value: 'prompt', context: { turns: 1 } });
  });

  it('closes runs a dead process left running: the saved answer stored as interrupted, steps closed, history rebuilt', async () => {
    // (earlier tests here leave runs open on purpose: close those first)
    await closeOrphanedRuns(store.db);
    const id = randomUUID();
    const [answered, unanswered] = [randomUUID(), randomUUID()];
    await createConversation(store.db, id);
    await begin(id, 'first', answered);
    const startedAt = new Date();
    await writeRunSteps(store.db, [
      { runId: answered, seq: 1, name: 'decide_mode', status: 'completed', input: {}, output: { mode: 'generate_code' }, startedAt, endedAt: startedAt },
      { runId: answered, seq: 2, name: 'generate_code', status: 'started', input: {}, output: { content: '```js\nconsole.' }, startedAt },
    ]);
    const other = randomUUID();
    await createConversation(store.db, other);
    await begin(other, 'second', unanswered);
    const finished = randomUUID();
    await begin(other, 'third', finished);
    await finish(other, finished, 'done properly', { value: 'prompt' });

    expect(await closeOrphanedRuns(store.db)).toBe(2);
    expect((await listMessages(store.db, id)).map((m) => [m.role, m.content, m.status, m.type, m.mode ?? null])).toEqual([
      ['user', 'first', 'complete', 'text', null],
      ['assistant', '```js\nconsole.', 'interrupted', 'code', 'generate_code'],
    ]);
    expect((await listMessages(store.db, other)).map((m) => [m.role, m.status])).toContainEqual(['assistant', 'interrupted']);
    expect((await listRuns(store.db, id)).map((r) => r.status)).toEqual(['interrupted']);
    expect((await listRuns(store.db, other)).map((r) => r.status).sort()).toEqual(['complete', 'interrupted']);
    expect((await listRunSteps(store.db, answered)).map((s) => s.status)).toEqual(['completed', 'interrupted']);
    expect((await findConversation(store.db, id))?.snapshot).toBeNull();
    // nothing left to close
    expect(await closeOrphanedRuns(store.db)).toBe(0);
  });
});
