import 'server-only';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { sql } from 'drizzle-orm';
import type { ClientConfig } from 'pg';
import { schema, type Db } from '@/lib/db/schema';
import { watchStatements, type StoreHealth } from '@/lib/db/store-health';

/** Both drivers' databases share this type, so every query is written once. */
export type { Db };

export type Store = {
  db: Db;
  kind: 'pglite' | 'postgres';
  /** Whether the store answers: a trivial statement within STORE_PROBE_TIMEOUT_MS (enough to read). */
  answers(): Promise<boolean>;
  /** Whether it answers and takes writes (none refused as an outage lately, lib/db/store-health.ts). */
  isAvailable(): Promise<boolean>;
  /** Gives back the garbage the store's own thread holds (PGlite's); nothing to do for a server's. */
  collectGarbage(): void;
  close(): Promise<void>;
};

/** How long the health probe waits for the store's answer. */
export const STORE_PROBE_TIMEOUT_MS = 2000;
/**
 * The PostgreSQL pool: how many connections it holds, how long a new connection may take (a server gone silent
 * fails requests, not hangs them) and how long a statement may wait for a free connection. The wait is the
 * longer: a burst of requests queues for the pool, and a busy store is not an outage.
 */
export type PoolSettings = { max: number; connectTimeoutMs: number; waitMs: number };
const POOL: PoolSettings = { max: 10, connectTimeoutMs: 5000, waitMs: 30_000 };

function probes(db: Db, health: StoreHealth): Pick<Store, 'answers' | 'isAvailable'> {
  const answers = async () => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), STORE_PROBE_TIMEOUT_MS)));
    const answered = db.execute(sql`select 1`).then(
      () => true,
      () => false,
    );
    return Promise.race([answered, timeout]).finally(() => clearTimeout(timer));
  };
  return { answers, isAvailable: async () => !health.refusingWrites() && (await answers()) };
}

export type StoreOptions = { databaseUrl?: string; dataDir: string; migrationsFolder?: string; pool?: Partial<PoolSettings> };

export const MIGRATIONS_FOLDER = path.join(process.cwd(), 'lib', 'db', 'migrations');

/** The advisory lock key migrations run under on PostgreSQL (any constant of our own). */
const MIGRATIONS_LOCK = 7_310_925_010;

/** Opens the store and applies the migrations (a no-op when they are applied already). */
export async function openStore({ databaseUrl, dataDir, migrationsFolder = MIGRATIONS_FOLDER, ...options }: StoreOptions): Promise<Store> {
  if (databaseUrl) {
    const [{ default: pg }, { drizzle }, { migrate }] = await Promise.all([
      import('pg'),
      import('drizzle-orm/node-postgres'),
      import('drizzle-orm/node-postgres/migrator'),
    ]);
    const settings = { ...POOL, ...options.pool };
    // The pool hands its own options to each client it makes, and it reads `connectionTimeoutMillis` as the wait for
    // a free connection: each client is given the connect timeout instead.
    class Client extends pg.Client {
      constructor(config?: ClientConfig) {
        super({ ...config, connectionTimeoutMillis: settings.connectTimeoutMs });
      }
    }
    const pool = new pg.Pool({ connectionString: databaseUrl, max: settings.max, connectionTimeoutMillis: settings.waitMs, Client });
    // An idle client that loses its server must not take the process down.
    pool.on('error', (error) => console.error('[sluice] postgres pool error', error));
    const watched = watchStatements(pool);
    const db = drizzle(watched.client, { schema });
    // Instances starting together on one database take turns: the first applies the migrations, the rest find them
    // applied (unlocked, two would race to create the same tables and one would fail to start).
    const lock = await pool.connect();
    try {
      await lock.query('select pg_advisory_lock($1)', [MIGRATIONS_LOCK]);
      await migrate(db, { migrationsFolder });
    } finally {
      await lock.query('select pg_advisory_unlock($1)', [MIGRATIONS_LOCK]).catch(() => undefined);
      lock.release();
    }
    return { db: db as unknown as Db, kind: 'postgres', ...probes(db as unknown as Db, watched.health), collectGarbage: () => {}, close: () => pool.end() };
  }
  const [{ openPGliteThread }, { drizzle }, { migrate }] = await Promise.all([
    import('@/lib/db/pglite-thread'),
    import('drizzle-orm/pglite'),
    import('drizzle-orm/pglite/migrator'),
  ]);
  const isMemory = dataDir.startsWith('memory://');
  if (!isMemory) await createDataDirApart(path.resolve(dataDir));
  const client = await openPGliteThread(isMemory ? dataDir : path.resolve(dataDir), { postgresqlconf: PGLITE_SETTINGS });
  const watched = watchStatements(client);
  const db = drizzle({ client: watched.client as unknown as PGliteClient, schema });
  await migrate(db, { migrationsFolder });
  return {
    db: db as unknown as Db,
    kind: 'pglite',
    ...probes(db as unknown as Db, watched.health),
    collectGarbage: () => void client.collectGarbage().catch(() => undefined),
    close: () => client.close(),
  };
}

/**
 * The embedded PostgreSQL runs in WebAssembly memory that is never given back. Its default 128 MB of shared buffers
 * alone costs ~135 MB resident; a chat app's working set is far smaller.
 */
const PGLITE_SETTINGS = ['shared_buffers=16MB'];

/** drizzle is handed the thread's statements as the PGlite they are run by. */
type PGliteClient = InstanceType<typeof import('@electric-sql/pglite').PGlite>;

const INIT_DATA_DIR = `
const { PGlite } = await import('@electric-sql/pglite');
const db = await PGlite.create(process.argv[1]);
await db.close();
`;

/**
 * Creates a new data directory in a short-lived child process: initdb leaves 750-850 MB resident in the process
 * that runs it, memory WebAssembly never returns. The app then opens the finished directory at a fraction of that.
 */
async function createDataDirApart(dataDir: string): Promise<void> {
  if (existsSync(path.join(dataDir, 'PG_VERSION'))) return;
  await mkdir(dataDir, { recursive: true });
  try {
    await promisify(execFile)(process.execPath, ['--input-type=module', '-e', INIT_DATA_DIR, dataDir], { cwd: process.cwd() });
  } catch (error) {
    // Opening it in this process still works, at the memory cost above.
    console.warn('[sluice] could not create the data directory in a child process; creating it here', error);
  }
}
