import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store, type StoreOptions } from '@/lib/db/client';
import {
  createConversation,
  createRun,
  deleteConversation,
  endRunStep,
  findConversation,
  finishRun,
  insertMessage,
  listConversations,
  listMessages,
  listRunSteps,
  listRuns,
  saveConversationSnapshot,
  startRunStep,
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

  const message = (conversationId: string, role: 'user' | 'assistant', content: string) => ({
    id: randomUUID(),
    conversationId,
    role,
    content,
    type: 'text' as const,
    status: 'complete' as const,
  });

  it('keeps messages in order and titles a conversation with its first prompt', async () => {
    const id = randomUUID();
    await createConversation(store.db, id);
    await insertMessage(store.db, message(id, 'user', 'first'), 'first');
    await insertMessage(store.db, { ...message(id, 'assistant', 'answer'), mode: 'answer_question' });
    await insertMessage(store.db, message(id, 'user', 'second'), 'second');

    const items = await listMessages(store.db, id);
    expect(items.map((m) => m.content)).toEqual(['first', 'answer', 'second']);
    expect(items[1]).toMatchObject({ role: 'assistant', mode: 'answer_question', status: 'complete', type: 'text' });
    expect(items[0]).not.toHaveProperty('mode');
    expect((await findConversation(store.db, id))?.title).toBe('first');
  });

  it('lists conversations by their last message, newest first', async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    await createConversation(store.db, a);
    await createConversation(store.db, b);
    await insertMessage(store.db, message(a, 'user', 'a speaks last'), 'a');
    const ids = (await listConversations(store.db)).map((c) => c.id);
    expect(ids.indexOf(a)).toBeLessThan(ids.indexOf(b));
  });

  it('deletes a conversation with its messages, runs and steps', async () => {
    const id = randomUUID();
    const runId = randomUUID();
    await createConversation(store.db, id);
    await createRun(store.db, { id: runId, conversationId: id, prompt: 'p' });
    await insertMessage(store.db, { ...message(id, 'user', 'p'), runId }, 'p');
    await startRunStep(store.db, { runId, seq: 1, name: 'check_safety', input: { prompt: 'p' } });
    expect(await deleteConversation(store.db, id)).toBe(true);
    expect(await findConversation(store.db, id)).toBeNull();
    expect(await listMessages(store.db, id)).toEqual([]);
    expect(await listRunSteps(store.db, runId)).toEqual([]);
    expect(await deleteConversation(store.db, id)).toBe(false);
  });

  it('records a run and its steps with inputs, outputs and snapshots', async () => {
    const id = randomUUID();
    const runId = randomUUID();
    await createConversation(store.db, id);
    await createRun(store.db, { id: runId, conversationId: id, prompt: 'p' });
    await startRunStep(store.db, { runId, seq: 1, name: 'decide_mode', input: { prompt: 'p' } });
    await endRunStep(store.db, {
      runId,
      seq: 1,
      status: 'completed',
      output: { mode: 'generate_code' },
      snapshot: { value: 'x', context: { n: 1 } },
    });
    await finishRun(store.db, runId, { status: 'complete', mode: 'generate_code' });
    const [step] = await listRunSteps(store.db, runId);
    expect(step).toMatchObject({ name: 'decide_mode', status: 'completed', output: { mode: 'generate_code' } });
    expect(step?.endedAt).toBeInstanceOf(Date);
    const [run] = await listRuns(store.db, id);
    expect(run).toMatchObject({ status: 'complete', mode: 'generate_code' });
  });

  it('survives a reopen: data and the persisted machine snapshot are still there, migrations re-apply as a no-op', async () => {
    const id = randomUUID();
    await createConversation(store.db, id);
    await insertMessage(store.db, message(id, 'user', 'remember me'), 'remember me');
    await saveConversationSnapshot(store.db, id, { status: 'active', value: 'prompt', context: { turns: 1 } });
    await store.close();
    store = await openStore(options);
    expect((await listMessages(store.db, id)).map((m) => m.content)).toEqual(['remember me']);
    expect((await findConversation(store.db, id))?.snapshot).toMatchObject({ value: 'prompt', context: { turns: 1 } });
  });
});
