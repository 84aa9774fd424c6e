import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, chownSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './app-server';

export type OwnPostgres = {
  url: string;
  /** Stops the server as an operator's fast shutdown does (SIGINT): clients are cut off, nothing is lost. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops it for good and removes its data directory. */
  remove(): Promise<void>;
};

/** Where PostgreSQL's programs are: on PATH, or in Debian's versioned directory. */
function findBinDir(): string | null {
  const candidates = [
    ...(process.env.PATH ?? '').split(path.delimiter),
    '/usr/local/bin',
    ...(existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql').map((version) => `/usr/lib/postgresql/${version}/bin`) : []),
  ];
  return candidates.find((dir) => existsSync(path.join(dir, 'initdb')) && existsSync(path.join(dir, 'postgres'))) ?? null;
}

/** PostgreSQL refuses to run as root: as root, its programs run as the `postgres` user. */
function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString());
    return { uid, gid };
  } catch {
    return undefined;
  }
}

/**
 * A PostgreSQL server of the test's own (initdb into a temporary directory, on a free port), to stop and start again
 * (never the machine's own). Null, with the reason, when PostgreSQL's programs are not installed.
 */
export async function startOwnPostgres(): Promise<OwnPostgres | { missing: string }> {
  const bin = findBinDir();
  if (!bin) return { missing: 'PostgreSQL (initdb, postgres) is not installed' };
  const user = runAs();
  if (process.getuid?.() === 0 && !user) return { missing: 'running as root and there is no `postgres` user to run PostgreSQL as' };
  const dir = mkdtempSync(path.join(tmpdir(), 'sluice-own-pg-'));
  if (user) chownSync(dir, user.uid, user.gid);
  const dataDir = path.join(dir, 'data');
  execFileSync(path.join(bin, 'initdb'), ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8'], { ...user, stdio: 'ignore' });
  const port = await freePort();
  let child: ChildProcess | null = null;

  const start = async () => {
    const started = spawn(
      path.join(bin, 'postgres'),
      ['-D', dataDir, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off'],
      { ...user, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    child = started;
    await new Promise<void>((resolve, reject) => {
      let output = '';
      started.once('error', reject);
      started.once('exit', (code) => reject(new Error(`postgres exited (${code}) before it was ready:\n${output}`)));
      started.stderr?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('ready to accept connections')) resolve();
      });
    });
  };
  const stop = async () => {
    const running = child;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    await new Promise((resolve) => {
      running.once('exit', resolve);
      running.kill('SIGINT');
    });
  };
  await start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start,
    stop,
    async remove() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
