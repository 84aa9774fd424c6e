import { test } from '@playwright/test';
import { startApp, type AppServer } from '../helpers/app-server';
import { createScratchDatabase, POSTGRES_URL } from '../helpers/postgres';
import { REDIS_URL } from '../helpers/redis';
import { startMockUpstream, type MockUpstream } from '../mock-upstream/server';

export type TwoInstances = { a: AppServer; b: AppServer; mock: MockUpstream };

/**
 * For the describe block it is called in: two `next start` instances on a scratch PostgreSQL database and the
 * machine's Redis, in front of a mock upstream of their own; skipped, saying why, without PostgreSQL and Redis.
 * The returned object is filled in before the first test.
 */
export function twoInstancesOnPostgresAndRedis(): TwoInstances {
  const instances = {} as TwoInstances;
  let drop = async () => {};
  test.skip(
    !POSTGRES_URL || !REDIS_URL,
    'Needs PostgreSQL and Redis: set DATABASE_URL=postgres://user@host:5432/db and REDIS_URL=redis://host:6379 (CI does).',
  );
  // Two `next start` processes on top of the usual one.
  test.describe.configure({ timeout: 90_000 });
  test.beforeAll(async () => {
    instances.mock = await startMockUpstream();
    const scratch = await createScratchDatabase(POSTGRES_URL!);
    drop = scratch.drop;
    const env = { OPENAI_BASE_URL: instances.mock.baseURL, OPENAI_API_KEY: 'e2e', CHAT_MODEL: 'mock-chat', DATABASE_URL: scratch.url, REDIS_URL: REDIS_URL! };
    [instances.a, instances.b] = await Promise.all([startApp(env), startApp(env)]);
  });
  test.afterAll(async () => {
    await Promise.all([instances.a?.stop(), instances.b?.stop()]);
    await instances.mock?.close();
    await drop();
  });
  return instances;
}
