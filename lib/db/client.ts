import 'server-only';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { getEnv } from '@/lib/env';
import { schema, type Schema } from '@/lib/db/schema';

/** Both drivers' databases share this type, so every query is written once. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;

export type Store = {
  db: Db;
  kind: 'pglite' | 'postgres';
  close(): Promise<void>;
};

export type StoreOptions = { databaseUrl?: string; dataDir: string; migrationsFolder?: string };

export const MIGRATIONS_FOLDER = path.join(process.cwd(), 'lib', 'db', 'migrations');

/** Opens the store and applies the migrations (a no-op when they are applied already). */
export async function openStore({ databaseUrl, dataDir, migrationsFolder = MIGRATIONS_FOLDER }: StoreOptions): Promise<Store> {
  if (databaseUrl) {
    const [{ Pool }, { drizzle }, { migrate }] = await Promise.all([
      import('pg'),
      import('drizzle-orm/node-postgres'),
      import('drizzle-orm/node-postgres/migrator'),
    ]);
    const pool = new Pool({ connectionString: databaseUrl, max: 10 });
    // An idle client that loses its server must not take the process down.
    pool.on('error', (error) => console.error('[sluice] postgres pool error', error));
    const db = drizzle(pool, { schema });
    await migrate(db, { migrationsFolder });
    return { db: db as unknown as Db, kind: 'postgres', close: () => pool.end() };
  }
  const [{ PGlite }, { drizzle }, { migrate }] = await Promise.all([
    import('@electric-sql/pglite'),
    import('drizzle-orm/pglite'),
    import('drizzle-orm/pglite/migrator'),
  ]);
  const isMemory = dataDir.startsWith('memory://');
  if (!isMemory) await mkdir(dataDir, { recursive: true });
  const client = await PGlite.create(isMemory ? dataDir : path.resolve(dataDir));
  const db = drizzle({ client, schema });
  await migrate(db, { migrationsFolder });
  return { db: db as unknown as Db, kind: 'pglite', close: () => client.close() };
}

const globalForStore = globalThis as typeof globalThis & { __sluiceStore?: Promise<Store> };

/** The process's one store, opened on first use and shared by every route bundle. */
export function getStore(): Promise<Store> {
  if (!globalForStore.__sluiceStore) {
    const env = getEnv();
    const opening = openStore({ databaseUrl: env.DATABASE_URL, dataDir: env.DATA_DIR });
    // A failed open is retried on the next request rather than cached forever.
    opening.catch(() => {
      if (globalForStore.__sluiceStore === opening) globalForStore.__sluiceStore = undefined;
    });
    globalForStore.__sluiceStore = opening;
  }
  return globalForStore.__sluiceStore;
}
