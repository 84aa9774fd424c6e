import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { defineConfig } from '@playwright/test';
import { CHROMIUM_ARGS, resolveChromium } from './tests/e2e/chromium';

const APP_PORT = Number(process.env.E2E_APP_PORT ?? 3217);
const MOCK_PORT = Number(process.env.E2E_MOCK_PORT ?? 3218);
export const MOCK_URL = `http://127.0.0.1:${MOCK_PORT}`;

// One fresh store per test run; the config is read again in workers, which inherit the first value. The run
// that made it removes it when the runner exits, after the servers are stopped (global teardown is too early).
if (!process.env.E2E_DATA_DIR) {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'sluice-e2e-'));
  process.env.E2E_DATA_DIR = dataDir;
  process.on('exit', () => rmSync(dataDir, { recursive: true, force: true }));
}
process.env.E2E_MOCK_URL = MOCK_URL;

export default defineConfig({
  testDir: 'tests/e2e',
  outputDir: 'test-results/e2e',
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [['list'], ['json', { outputFile: process.env.E2E_JSON_REPORT ?? 'test-results/e2e-report.json' }]],
  use: {
    baseURL: `http://127.0.0.1:${APP_PORT}`,
    browserName: 'chromium',
    launchOptions: { executablePath: resolveChromium(), args: CHROMIUM_ARGS },
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
  webServer: [
    {
      command: 'node node_modules/vite-node/vite-node.mjs tests/mock-upstream/main.ts',
      url: `${MOCK_URL}/__mock/health`,
      env: { MOCK_UPSTREAM_PORT: String(MOCK_PORT) },
      reuseExistingServer: false,
      stdout: 'pipe',
    },
    {
      command: `node node_modules/next/dist/bin/next start -p ${APP_PORT} -H 127.0.0.1`,
      url: `http://127.0.0.1:${APP_PORT}/api/health`,
      env: {
        NEXT_TELEMETRY_DISABLED: '1',
        DATA_DIR: process.env.E2E_DATA_DIR,
        OPENAI_BASE_URL: `${MOCK_URL}/v1`,
        OPENAI_API_KEY: 'e2e',
        CHAT_MODEL: 'mock-chat',
        UPSTREAM_MAX_RETRIES: '0',
        // One process on its own embedded store, whatever the machine's environment points at.
        DATABASE_URL: '',
        REDIS_URL: '',
      },
      reuseExistingServer: false,
      timeout: 60_000,
    },
  ],
});
