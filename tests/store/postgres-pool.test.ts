import { randomUUID } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { sql } from 'drizzle-orm';
import type { Pool, PoolClient } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '@/lib/db/client';
import { insertConversation } from '@/lib/db/queries/conversations';
import { selectRows } from '@/lib/db/queries/rows';
import { beginTurn, finishTurn } from '@/lib/db/queries/turns';
import { isStoreUnavailable } from '@/lib/db/store-errors';
import { createScratchDatabase, explainSkippedPostgres, POSTGRES_URL } from '../helpers/postgres';

explainSkippedPostgres();

/** Short bounds, so that a statement waiting for the pool outlasts the connect timeout several times over. */
const CONNECT_TIMEOUT_MS = 300;

describe.runIf(POSTGRES_URL)('the PostgreSQL pool', () => {
  let store: Store;
  let drop = async () => {};

  beforeAll(async () => {
    const scratch = await createScratchDatabase(POSTGRES_URL!);
    drop = scratch.drop;
    store = await openStore({ dataDir: '', databaseUrl: scratch.url, pool: { max: 2, connectTimeoutMs: CONNECT_TIMEOUT_MS } });
  });

  afterAll(async () => {
    await store?.close();
    await drop();
  });

  it('lets a burst wait for a free connection longer than a connection may take to open: busy is not an outage', async () => {
    // Two statements hold both connections for longer than the connect timeout; the rest queue behind them.
    const statements = Array.from({ length: 6 }, () => store.db.execute(sql`select pg_sleep(${(CONNECT_TIMEOUT_MS * 3) / 1000})`));
    const settled = await Promise.allSettled(statements);
    expect(settled.filter((result) => result.status === 'rejected')).toEqual([]);
  });
});

describe.runIf(POSTGRES_URL)('the statements that begin and end every run, on PostgreSQL', () => {
  let store: Store;
  let drop = async () => {};
  let held: PoolClient | undefined;
  const ownerId = `owner-${randomUUID()}`;

  beforeAll(async () => {
    const scratch = await createScratchDatabase(POSTGRES_URL!);
    drop = scratch.drop;
    // Opening takes two connections (one holds the migrations' lock). One is then held here, so that every statement
    // runs on the other: what is prepared on it is what the next statement finds.
    store = await openStore({ dataDir: '', databaseUrl: scratch.url, pool: { max: 2 } });
    held = await (store.db as unknown as { $client: Pool }).$client.connect();
  });

  afterAll(async () => {
    held?.release();
    await store?.close();
    await drop();
  });

  /** A prompt on a conversation of its own, answered. */
  const turnOnce = async () => {
    const conversationId = randomUUID();
    const runId = randomUUID();
    await insertConversation(store.db, { id: conversationId, ownerId });
    const begun = await beginTurn(store.db, { conversationId, ownerId, runId, messageId: randomUUID(), prompt: 'hello', title: 'hello' }, { runs: 1000, windowS: 60 });
    const answer = { id: randomUUID(), conversationId, runId, role: 'assistant' as const, content: 'hi', type: 'text' as const, mode: 'answer_question' as const, status: 'complete' as const };
    const finished = await finishTurn(store.db, { runId, message: answer, outcome: { status: 'complete', mode: 'answer_question' }, snapshot: null });
    return { begun, finished };
  };
  const prepared = async () =>
    (await selectRows<{ name: string }>(store.db, sql`select name from pg_prepared_statements order by name`)).map((row) => row.name);

  it('are prepared once on their connection and run by name after that', async () => {
    for (let n = 0; n < 3; n++) {
      const { begun, finished } = await turnOnce();
      expect(begun).toMatchObject({ status: 'begun', priorMessages: 0 });
      expect(finished).toMatchObject({ role: 'assistant', content: 'hi', status: 'complete' });
    }
    expect(await prepared()).toEqual(['sluice_begin_turn', 'sluice_finish_turn']);
  });

  it('goes on unnamed once the connection no longer holds it, as behind a pooler that cannot keep it', async () => {
    // What a pooler in transaction mode does: the next statement lands on a server connection without it.
    await store.db.execute(sql`deallocate all`);
    for (let n = 0; n < 2; n++) {
      const { begun, finished } = await turnOnce();
      expect(begun).toMatchObject({ status: 'begun' });
      expect(finished).toMatchObject({ content: 'hi', status: 'complete' });
    }
    expect(await prepared()).toEqual([]);
  });
});

describe('a PostgreSQL server that accepts connections and never answers', () => {
  let silent: Server;
  const sockets = new Set<Socket>();

  beforeAll(async () => {
    silent = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });

  // The wait for a free connection is 30 s: only the connect timeout can end this within the test's time.
  it('fails opening the store as unavailable once the connect timeout passes', { timeout: 10_000 }, async () => {
    const address = silent.address();
    if (!address || typeof address === 'string') throw new Error('no port');
    const opening = openStore({ dataDir: '', databaseUrl: `postgres://postgres@127.0.0.1:${address.port}/test`, pool: { connectTimeoutMs: CONNECT_TIMEOUT_MS } });
    const error = await opening.then(
      () => null,
      (reason: unknown) => reason,
    );
    expect(error).not.toBeNull();
    expect(isStoreUnavailable(error)).toBe(true);
  });
});
