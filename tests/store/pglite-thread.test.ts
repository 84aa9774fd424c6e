import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isStoreUnavailable } from '@/lib/db/store-errors';
import { openPGliteThread, type PGliteThread } from '@/lib/db/pglite-thread';

describe('PGlite on a thread of its own', () => {
  let db: PGliteThread;

  beforeAll(async () => {
    db = await openPGliteThread('memory://', {});
    await db.exec('create table notes (id int primary key, body text not null, at timestamptz not null default now())');
  });
  afterAll(async () => {
    await db?.close();
  });

  it('answers statements with their rows, as arrays or as objects', async () => {
    await db.query('insert into notes (id, body) values ($1, $2), ($3, $4)', [1, 'one', 2, 'two']);
    const objects = await db.query<{ id: number; body: string }>('select id, body from notes order by id');
    expect(objects.rows).toEqual([
      { id: 1, body: 'one' },
      { id: 2, body: 'two' },
    ]);
    const arrays = await db.query('select id, body from notes where id = $1', [2], { rowMode: 'array' });
    expect(arrays.rows).toEqual([[2, 'two']]);
  });

  it('leaves a type as text when a parser is given for it, as drizzle gives for timestamps', async () => {
    const parsed = await db.query<{ at: unknown }>('select at from notes where id = 1');
    expect(parsed.rows[0]?.at).toBeInstanceOf(Date);
    const asText = await db.query<{ at: unknown }>('select at from notes where id = 1', [], { parsers: { 1184: (value) => value } });
    expect(typeof asText.rows[0]?.at).toBe('string');
  });

  it('fails a wrong statement with PostgreSQL’s own code, and goes on answering', async () => {
    const failure = await db.query('insert into notes (id, body) values (1, $1)', ['again']).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Error);
    expect(failure).toMatchObject({ code: '23505', constraint: 'notes_pkey' });
    expect(isStoreUnavailable(failure)).toBe(false);
    expect((await db.query('select count(*)::int as n from notes')).rows).toEqual([{ n: 2 }]);
  });

  it('commits a transaction whose callback returns, and rolls back one whose callback throws', async () => {
    const returned = await db.transaction(async (tx) => {
      await tx.query('insert into notes (id, body) values (3, $1)', ['kept']);
      return 'kept';
    });
    expect(returned).toBe('kept');
    const thrown = await db
      .transaction(async (tx) => {
        await tx.query('insert into notes (id, body) values (4, $1)', ['lost']);
        throw new Error('changed my mind');
      })
      .catch((error: unknown) => error);
    expect(thrown).toMatchObject({ message: 'changed my mind' });
    const rolledBack = await db.transaction(async (tx) => {
      await tx.query('insert into notes (id, body) values (5, $1)', ['lost too']);
      await tx.rollback();
    });
    expect(rolledBack).toBeUndefined();
    expect((await db.query('select id from notes order by id', [], { rowMode: 'array' })).rows).toEqual([[1], [2], [3]]);
  });

  it('keeps a statement from outside waiting until an open transaction ends', async () => {
    let inside!: () => void;
    const holding = new Promise<void>((resolve) => (inside = resolve));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const transaction = db.transaction(async (tx) => {
      await tx.query('update notes set body = $1 where id = 1', ['changed']);
      inside();
      await released;
    });
    await holding;
    const outside = db.query<{ body: string }>('select body from notes where id = 1');
    const order: string[] = [];
    void outside.then(() => order.push('outside'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    order.push('released');
    release();
    await transaction;
    expect((await outside).rows).toEqual([{ body: 'changed' }]);
    expect(order).toEqual(['released', 'outside']);
  });

  it('leaves this thread free while a statement runs', async () => {
    let ticks = 0;
    const ticking = setInterval(() => ticks++, 5);
    try {
      // Long enough for several ticks; run on this thread, it would let none through.
      await db.query('select count(*) from generate_series(1, 3000000)');
    } finally {
      clearInterval(ticking);
    }
    expect(ticks).toBeGreaterThan(0);
  });

  it('gives back what its statements left on its own heap when asked', async () => {
    // A 20 MB result: garbage on the thread once it has been sent over.
    const big = await db.query<{ text: string }>("select repeat('x', 20000000) as text");
    expect(big.rows[0]?.text).toHaveLength(20_000_000);
    const { heapUsedBefore, heapUsedAfter } = await db.collectGarbage();
    expect(heapUsedBefore - heapUsedAfter).toBeGreaterThan(10_000_000);
  });

  it('fails statements as an outage once the thread is gone', async () => {
    const other = await openPGliteThread('memory://', {});
    await other.close();
    const failure = await other.query('select 1').catch((error: unknown) => error);
    expect(isStoreUnavailable(failure)).toBe(true);
  });

  it('lets a script that leaves the store open exit once its work is done', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'sluice-left-open-'));
    try {
      // Were the thread to hold the process while idle, the script would never end and this would time out.
      const { stdout } = await promisify(execFile)(
        process.execPath,
        ['node_modules/vite-node/vite-node.mjs', '-c', 'vitest.config.ts', 'tests/helpers/store-left-open.ts', dataDir],
        { timeout: 90_000, killSignal: 'SIGKILL' },
      );
      expect(stdout).toContain('read 0 conversations');
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});
