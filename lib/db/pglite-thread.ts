import 'server-only';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { PGlite, PGliteOptions, QueryOptions, Results, Transaction } from '@electric-sql/pglite';

/** The thread's script: plain JavaScript run by Node as it is, found next to this file in the app's tree. */
const WORKER_SCRIPT = path.join(process.cwd(), 'lib', 'db', 'pglite-thread-worker.mjs');

/** What the app and drizzle call on the embedded database: a PGlite's statements, run on its own thread. */
export type PGliteThread = Pick<PGlite, 'query' | 'exec' | 'transaction' | 'close'> & {
  /** A full garbage collection on the thread (its heap is its own): what a burst left there is given back. */
  collectGarbage(): Promise<{ heapUsedBefore: number; heapUsedAfter: number }>;
};

type Operation =
  | { op: 'query'; sql: string; params?: unknown[]; options?: CrossingOptions; tx?: number }
  | { op: 'exec'; sql: string; options?: CrossingOptions; tx?: number }
  | { op: 'begin' | 'end'; tx: number; commit?: boolean }
  | { op: 'collect' | 'close' };
type CrossingOptions = { rowMode?: 'array' | 'object'; paramTypes?: number[]; textTypes?: number[] };
type Reply = { id: number; result?: unknown; error?: ErrorData };
type ErrorData = { message: string; cause?: ErrorData } & Record<string, unknown>;

/** The code a statement fails with once the thread is gone: a system error (SQLSTATE class 58), an outage. */
const THREAD_GONE_CODE = '58000';

/** The error that crossed the thread, rebuilt: its message and its fields (`code` above all) as they were. */
function errorFromData({ cause, ...data }: ErrorData): Error {
  const error = new Error(data.message, cause ? { cause: errorFromData(cause) } : undefined);
  return Object.assign(error, data);
}

/**
 * Only data crosses the thread. A parser is a function, and drizzle's parsers all leave a type as PostgreSQL's text
 * (its timestamps and intervals): they cross as the list of those types.
 */
const crossing = (options?: QueryOptions): CrossingOptions | undefined =>
  options && {
    rowMode: options.rowMode,
    paramTypes: options.paramTypes,
    textTypes: options.parsers && Object.keys(options.parsers).map(Number),
  };

/**
 * Opens PGlite on a worker thread. Its statements run in WebAssembly, synchronously, for milliseconds each (a run's
 * start, its end, its trace): on the thread that serves the streams they would hold every stream's I/O meanwhile.
 * Here that thread only sends a message and is told the result.
 */
export async function openPGliteThread(dataDir: string, options: Pick<PGliteOptions, 'postgresqlconf'>): Promise<PGliteThread> {
  const worker = new Worker(WORKER_SCRIPT, { workerData: { dataDir, options }, resourceLimits: { maxYoungGenerationSizeMb: 4 } });
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let nextId = 0;
  let gone: Error | null = null;

  await new Promise<void>((resolve, reject) => {
    const onExit = (code: number) => reject(new Error(`the embedded database's thread exited (${code}) while opening`));
    worker.once('error', reject);
    worker.once('exit', onExit);
    worker.once('message', (message: { ready: boolean; error?: ErrorData }) => {
      worker.off('error', reject);
      worker.off('exit', onExit);
      if (message.ready) resolve();
      else reject(errorFromData(message.error ?? { message: 'the embedded database did not open' }));
    });
  });

  worker.on('message', ({ id, result, error }: Reply) => {
    const waiting = pending.get(id);
    if (!waiting) return;
    pending.delete(id);
    // The thread keeps the process alive only while a statement is waiting for it, as PGlite in this thread did.
    if (pending.size === 0) worker.unref();
    if (error) waiting.reject(errorFromData(error));
    else waiting.resolve(result);
  });
  const fail = (reason: string) => {
    gone = Object.assign(new Error(`the embedded database's thread stopped: ${reason}`), { code: THREAD_GONE_CODE });
    for (const waiting of pending.values()) waiting.reject(gone);
    pending.clear();
  };
  worker.on('error', (error) => {
    console.error('[sluice] the embedded database failed', error);
    fail(error.message);
  });
  worker.on('exit', (code) => fail(`exit code ${code}`));
  worker.unref();

  const send = <T>(operation: Operation): Promise<T> => {
    if (gone) return Promise.reject(gone);
    const id = nextId++;
    if (pending.size === 0) worker.ref();
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      worker.postMessage({ id, ...operation });
    });
  };

  const statements = (tx?: number): Pick<Transaction, 'query' | 'exec'> => ({
    query: <T>(sql: string, params?: unknown[], options?: QueryOptions) =>
      send<Results<T>>({ op: 'query', sql, params, options: crossing(options), tx }),
    exec: (sql: string, options?: QueryOptions) => send<Results[]>({ op: 'exec', sql, options: crossing(options), tx }),
  });
  let nextTx = 0;

  return {
    ...statements(),
    // The callback runs here; its statements run inside a transaction the thread holds open until it returns.
    async transaction<T>(callback: (tx: Transaction) => Promise<T>): Promise<T> {
      const tx = nextTx++;
      await send({ op: 'begin', tx });
      let closed = false;
      const end = async (commit: boolean) => {
        if (closed) return;
        closed = true;
        await send({ op: 'end', tx, commit });
      };
      const handle = {
        ...statements(tx),
        rollback: () => end(false),
        get closed() {
          return closed;
        },
      } as unknown as Transaction;
      let result: T;
      try {
        result = await callback(handle);
      } catch (error) {
        await end(false).catch(() => undefined);
        throw error;
      }
      await end(true);
      return result;
    },
    collectGarbage: () => send<{ heapUsedBefore: number; heapUsedAfter: number }>({ op: 'collect' }),
    async close() {
      if (!gone) await send({ op: 'close' });
      await worker.terminate();
    },
  };
}
