// The embedded PostgreSQL on a thread of its own (lib/db/pglite-thread.ts starts it and speaks to it). Plain
// JavaScript that Node runs as it is: the bundler never sees it.
import v8 from 'node:v8';
import vm from 'node:vm';
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';

/** @typedef {{ rowMode?: 'array' | 'object', textTypes?: number[], paramTypes?: number[] }} Options */

const asText = (/** @type {string} */ value) => value;
/** PGlite's query options from what crossed the thread: parsers are functions, so only "leave it as text" crosses. */
const queryOptions = (/** @type {Options | undefined} */ options) =>
  options && {
    rowMode: options.rowMode,
    paramTypes: options.paramTypes,
    parsers: options.textTypes && Object.fromEntries(options.textTypes.map((type) => [type, asText])),
  };

/** An error as data: the message, the driver's fields (SQLSTATE `code` and the rest) and its causes. */
function errorAsData(/** @type {unknown} */ error, depth = 0) {
  if (!(error instanceof Error)) return { message: String(error) };
  /** @type {Record<string, unknown>} */
  const data = { name: error.name, message: error.message, stack: error.stack };
  for (const [key, value] of Object.entries(error)) {
    if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) data[key] = value;
  }
  if (error.cause !== undefined && depth < 5) data.cause = errorAsData(error.cause, depth + 1);
  return data;
}

/** @type {(() => void) | undefined} */
let gc;
/** This thread's heap is its own: the app's collection when quiet (lib/runtime/collect-when-quiet.ts) asks for one here too. */
const fullCollection = () => (gc ??= (v8.setFlagsFromString('--expose-gc'), vm.runInNewContext('gc')));

const ROLLBACK = Symbol('rollback');
/** @type {Map<number, { tx: import('@electric-sql/pglite').Transaction, end: (commit: boolean) => void, done: Promise<unknown> }>} */
const transactions = new Map();

/** Opens a transaction that stays open until its `end` message: its statements come one message at a time. */
function begin(/** @type {number} */ id) {
  return new Promise((opened, failed) => {
    /** @type {(commit: boolean) => void} */
    let end = () => {};
    const ended = new Promise((resolve) => (end = resolve));
    const done = db.transaction(async (tx) => {
      transactions.set(id, { tx, end, done });
      opened(undefined);
      if (!(await ended)) throw ROLLBACK;
    });
    done.catch(failed);
  });
}

async function finish(/** @type {number} */ id, /** @type {boolean} */ commit) {
  const open = transactions.get(id);
  if (!open) throw new Error(`no open transaction ${id}`);
  transactions.delete(id);
  open.end(commit);
  await open.done.catch((error) => {
    if (error !== ROLLBACK) throw error;
  });
}

const on = (/** @type {number | undefined} */ tx) => {
  if (tx === undefined) return db;
  const open = transactions.get(tx);
  if (!open) throw new Error(`no open transaction ${tx}`);
  return open.tx;
};

/** @param {{ op: string, sql?: string, params?: unknown[], options?: Options, tx?: number, commit?: boolean }} message */
async function run(message) {
  switch (message.op) {
    case 'query':
      return on(message.tx).query(String(message.sql), message.params, queryOptions(message.options));
    case 'exec':
      return on(message.tx).exec(String(message.sql), queryOptions(message.options));
    case 'begin':
      return begin(Number(message.tx));
    case 'end':
      return finish(Number(message.tx), Boolean(message.commit));
    case 'collect': {
      const before = v8.getHeapStatistics().used_heap_size;
      fullCollection()();
      return { heapUsedBefore: before, heapUsedAfter: v8.getHeapStatistics().used_heap_size };
    }
    case 'close':
      return db.close();
    default:
      throw new Error(`unknown operation ${message.op}`);
  }
}

/** @type {PGlite} */
let db;
try {
  db = await PGlite.create(workerData.dataDir, workerData.options);
  parentPort?.postMessage({ ready: true });
} catch (error) {
  parentPort?.postMessage({ ready: false, error: errorAsData(error) });
  process.exit(1);
}

parentPort?.on('message', (/** @type {{ id: number }} */ message) => {
  run(message).then(
    (result) => parentPort?.postMessage({ id: message.id, result }),
    (error) => parentPort?.postMessage({ id: message.id, error: errorAsData(error) }),
  );
});
