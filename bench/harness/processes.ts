/**
 * The processes a bench run starts: the mock upstream at a set pace, Sluice, and the AI SDK peer app. Each runs
 * in its own process so that none is charged for another's work.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { startApp, startNextServer, type NextServer } from '../../tests/helpers/app-server';

const ROOT = path.resolve(import.meta.dirname, '../..');
const PEER = path.join(ROOT, 'bench/peer');

export type Pace = { tokens: number; tokenGapMs: number; safetyDelayMs: number; modeDelayMs: number; replyKind?: 'words' | 'markdown' };

export async function startMockProcess(port: number, pace: Pace) {
  const child = spawn(process.execPath, ['node_modules/vite-node/vite-node.mjs', 'tests/mock-upstream/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      MOCK_UPSTREAM_PORT: String(port),
      // One write per event: the odd splits' timer jitter would drown what is measured.
      MOCK_SPLIT_WRITES: '0',
      MOCK_REPLY_TOKENS: String(pace.tokens),
      MOCK_REPLY_KIND: pace.replyKind ?? 'words',
      MOCK_TOKEN_GAP_MS: String(pace.tokenGapMs),
      MOCK_MODERATION_DELAY_MS: String(pace.safetyDelayMs),
      MOCK_ROUTER_DELAY_MS: String(pace.modeDelayMs),
    },
    stdio: 'ignore',
  });
  const baseURL = `http://127.0.0.1:${port}/v1`;
  for (let tries = 0; tries < 100; tries++) {
    const up = await fetch(`http://127.0.0.1:${port}/__mock/health`).then((r) => r.ok, () => false);
    if (up) return { baseURL, close: async () => void child.kill('SIGTERM') };
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  child.kill('SIGKILL');
  throw new Error(`the mock upstream did not start on port ${port} (is another one running?)`);
}

/** Sluice against the mock, the moderation endpoint as its safety check (so both pre-steps are model calls). */
export function startSluice(baseURL: string, env: Record<string, string> = {}, nodeArgs: string[] = []) {
  return startApp(
    {
    OPENAI_BASE_URL: baseURL,
    OPENAI_API_KEY: 'bench',
    CHAT_MODEL: 'mock-chat',
    ROUTER_MODEL: 'mock-router',
    SAFETY_CHECK: 'moderation',
    ...env,
    },
    { nodeArgs },
  );
}

/** vite-node runs the bench with NODE_ENV=test, which `next build` refuses to prerender under: builds are production. */
const buildEnv = (): NodeJS.ProcessEnv => ({ ...process.env, NODE_ENV: 'production' as const, NEXT_TELEMETRY_DISABLED: '1' });

/** The peer app has its own dependencies and build: made on first use, kept after. */
export function ensurePeerBuilt(log: (line: string) => void) {
  if (!existsSync(path.join(PEER, 'node_modules/next'))) {
    log('installing the peer app (bench/peer) ...');
    execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: PEER, stdio: 'inherit' });
  }
  if (!existsSync(path.join(PEER, '.next/BUILD_ID'))) {
    log('building the peer app (bench/peer) ...');
    execFileSync('npm', ['run', 'build'], { cwd: PEER, stdio: 'inherit', env: buildEnv() });
  }
}

export function startPeer(baseURL: string): Promise<NextServer> {
  return startNextServer({
    root: PEER,
    env: { OPENAI_BASE_URL: baseURL, CHAT_MODEL: 'mock-chat' },
    healthPath: '/api/chat',
    // The chat route takes POST only: a 405 to a GET means the server is up.
    isReady: (response) => response.status === 405,
  });
}

/** Sluice is built by `npm run build`; the bench builds it when there is no build yet. */
export function ensureSluiceBuilt(log: (line: string) => void) {
  if (!existsSync(path.join(ROOT, '.next/BUILD_ID'))) {
    log('building the app ...');
    execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit', env: buildEnv() });
  }
}
