import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

export type NextServer = {
  url: string;
  /** The server process. */
  pid: () => number | undefined;
  /** The server's resident memory now, in MB (Linux). */
  residentMb: () => Promise<number>;
  /** CPU time the server has used since it started, user and system, in ms (Linux). */
  cpuMs: () => Promise<number>;
  logs: () => string;
  restart: () => Promise<void>;
  /** Kills the server with SIGKILL, as a crash or an out-of-memory kill would; `restart` brings it back. */
  crash: () => Promise<void>;
  stop: () => Promise<void>;
};

export type AppServer = NextServer & { dataDir: string };

/** A port nothing listens on now, for a server the tests start. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** The variables of the machine minus anything that would point the app elsewhere than the test wants. */
function baseEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of Object.keys(env)) {
    if (/^(OPENAI_|CHAT_MODEL|ROUTER_MODEL|DATABASE_URL|REDIS_URL|RUN_LEASE_MS|SAFETY_CHECK|PRE_STEPS|DATA_DIR|RATE_LIMIT_|NODE_OPTIONS|VITEST)/.test(key)) delete env[key];
  }
  return env;
}

/** Serves the built app with `next start` on a free port, on a data dir of its own. */
export async function startApp(env: Record<string, string> = {}, options: { nodeArgs?: string[]; port?: number } = {}): Promise<AppServer> {
  if (!existsSync(path.join(ROOT, '.next', 'BUILD_ID'))) {
    throw new Error('The app is not built: run `npm run build` first (`npm test` does it).');
  }
  const dataDir = await mkdtemp(path.join(tmpdir(), 'sluice-app-'));
  const server = await startNextServer({
    root: ROOT,
    // Suites send more prompts a minute than a person would: the rate limit is tested where it is set low.
    env: { DATA_DIR: dataDir, RATE_LIMIT_RUNS: '10000', ...env },
    isReady: (response) => response.ok,
    healthPath: '/api/health',
    ...options,
  });
  return {
    ...server,
    dataDir,
    stop: async () => {
      await server.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

const CLOCK_TICKS_PER_S = 100;

/**
 * Any built Next.js app under `next start` (this one, or the benchmark's peer), on a free port: ready once
 * `healthPath` answers as `isReady` wants.
 */
export async function startNextServer(options: {
  root: string;
  env?: Record<string, string>;
  healthPath: string;
  isReady: (response: Response) => boolean;
  /** Flags for node itself, e.g. `--cpu-prof` (not allowed in NODE_OPTIONS). */
  nodeArgs?: string[];
  /** A port chosen beforehand, when something must know the app's URL before it starts (a sign-in provider). */
  port?: number;
}): Promise<NextServer> {
  const { root, healthPath, isReady } = options;
  const port = options.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  let output = '';

  const launch = async () => {
    child = spawn(process.execPath, [...(options.nodeArgs ?? []), path.join(root, 'node_modules/next/dist/bin/next'), 'start', '-p', String(port), '-H', '127.0.0.1'], {
      cwd: root,
      env: { ...baseEnv(), NEXT_TELEMETRY_DISABLED: '1', NODE_ENV: 'production', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (chunk) => (output += chunk));
    child.stderr?.on('data', (chunk) => (output += chunk));
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`next start exited early:\n${output}`);
      try {
        const response = await fetch(`${url}${healthPath}`);
        if (isReady(response)) return;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error(`next start did not become healthy in time:\n${output}`);
  };

  const kill = async () => {
    const current = child;
    if (!current || current.exitCode !== null || current.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      current.once('exit', () => resolve());
      current.kill('SIGTERM');
      setTimeout(() => current.kill('SIGKILL'), 5_000).unref();
    });
  };

  await launch();
  return {
    url,
    pid: () => child?.pid,
    residentMb: async () => {
      if (!child?.pid) return NaN;
      const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
      return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN) / 1024;
    },
    cpuMs: async () => {
      if (!child?.pid) return NaN;
      // Fields 14 and 15 of /proc/PID/stat (utime, stime), counted after the parenthesised command name.
      const fields = (await readFile(`/proc/${child.pid}/stat`, 'utf8')).split(') ')[1]?.split(' ') ?? [];
      return ((Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_S) * 1000;
    },
    logs: () => output,
    crash: async () => {
      const current = child;
      if (!current || current.exitCode !== null || current.signalCode !== null) return;
      await new Promise<void>((resolve) => {
        current.once('exit', () => resolve());
        current.kill('SIGKILL');
      });
    },
    restart: async () => {
      await kill();
      await launch();
    },
    stop: kill,
  };
}
