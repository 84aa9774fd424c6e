import { afterAll, beforeAll } from 'vitest';
import { startMockUpstream, type MockUpstream } from '../mock-upstream/server';
import { createClient, type ApiClient } from './api-client';
import { startApp, type AppServer } from './app-server';

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
