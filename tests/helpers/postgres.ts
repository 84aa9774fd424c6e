import { randomUUID } from 'node:crypto';
import pg from 'pg';

/** The server to test against, when there is one: CI sets DATABASE_URL (see .ci/run). */
export const POSTGRES_URL = process.env.DATABASE_URL;

export function explainSkippedPostgres(): void {
  if (!POSTGRES_URL) {
    console.warn(
      '[tests] DATABASE_URL is not set: the PostgreSQL variants of the store tests are skipped. ' +
        'Set DATABASE_URL=postgres://user@host:5432/db to run them (CI does).',
    );
  }
}

/** A database of its own for one test file, so runs never collide; drop it with the returned function. */
export async function createScratchDatabase(adminUrl: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `sluice_test_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

/**
 * What an app of a test file run on each store needs: nothing on PGlite (the app makes its own data directory),
 * a scratch database of its own on PostgreSQL; `drop` removes it afterwards.
 */
export async function storeEnv(store: string): Promise<{ env: Record<string, string>; drop: () => Promise<void> }> {
  if (store === 'PGlite') return { env: {}, drop: async () => {} };
  const scratch = await createScratchDatabase(POSTGRES_URL!);
  return { env: { DATABASE_URL: scratch.url }, drop: scratch.drop };
}
