import { afterAll, beforeAll } from 'vitest';
import { startMockUpstream, type MockUpstream } from '../mock-upstream/server';
import { createClient, type ApiClient } from './api-client';
import { startApp, type AppServer } from './app-server';
import { createScratchDatabase } from './postgres';

/** What an app talking to the mock upstream is started with: short timeouts and pings, one retry. */
export const upstreamEnv = (mock: MockUpstream) => ({
  OPENAI_BASE_URL: mock.baseURL,
  OPENAI_API_KEY: 'test-key',
  CHAT_MODEL: 'mock-chat',
  ROUTER_MODEL: 'mock-router',
  UPSTREAM_MAX_RETRIES: '1',
  UPSTREAM_IDLE_TIMEOUT_MS: '1500',
  SSE_PING_INTERVAL_MS: '200',
  DEMO_TOKEN_DELAY_MS: '1',
});

export type UpstreamApp = { mock: MockUpstream; app: AppServer; api: ApiClient; stop(): Promise<void> };

/** The mock upstream and the built app in front of it, with one visitor's client. */
export async function startUpstreamApp(): Promise<UpstreamApp> {
  const mock = await startMockUpstream();
  const app = await startApp(upstreamEnv(mock));
  return {
    mock,
    app,
    api: createClient(app.url),
    async stop() {
      await app.stop();
      await mock.close();
    },
  };
}

/** Starts the mock upstream and the app before a test file's tests, hands them to `use`, and stops both after. */
export function withUpstreamApp(use: (started: UpstreamApp) => void): void {
  let started: UpstreamApp | undefined;
  beforeAll(async () => {
    started = await startUpstreamApp();
    use(started);
  });
  afterAll(() => started?.stop());
}

export type TwoInstances = { mock: MockUpstream; a: AppServer; b: AppServer };

/**
 * Two instances of the app in front of the mock upstream, sharing a scratch PostgreSQL database and the machine's
 * Redis (the caller skips when either is missing), started before a describe block's tests and stopped after.
 */
export function withTwoInstances(postgresUrl: string, redisUrl: string, use: (started: TwoInstances) => void): void {
  let started: TwoInstances | undefined;
  let drop = async () => {};
  beforeAll(async () => {
    const mock = await startMockUpstream();
    const scratch = await createScratchDatabase(postgresUrl);
    drop = scratch.drop;
    const env = { ...upstreamEnv(mock), DATABASE_URL: scratch.url, REDIS_URL: redisUrl };
    // Started together: they take turns at the migrations.
    const [a, b] = await Promise.all([startApp(env), startApp(env)]);
    started = { mock, a, b };
    use(started);
  });
  afterAll(async () => {
    await Promise.all([started?.a.stop(), started?.b.stop()]);
    await started?.mock.close();
    await drop();
  });
}
