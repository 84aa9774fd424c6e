import { causeChain } from '@/lib/cause-chain';

/**
 * Whether a failure means the store cannot be reached or cannot write right now (an outage to wait out), rather than
 * a statement that is wrong. Decided by what the driver reports, anywhere on the cause chain (drizzle wraps it):
 * PostgreSQL's SQLSTATE classes for a lost connection (08), insufficient resources such as a full disk (53), an
 * operator's shutdown (57P) and system errors (58); Node's socket and disk errors; and pg's own connection errors,
 * which come without a code.
 */
export function isStoreUnavailable(error: unknown): boolean {
  for (const current of causeChain(error)) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && (UNAVAILABLE_SQLSTATE.test(code) || UNAVAILABLE_ERRNO.has(code))) return true;
    if (PG_CONNECTION_MESSAGES.some((text) => current.message.includes(text))) return true;
  }
  return false;
}

const UNAVAILABLE_SQLSTATE = /^(08...|53...|57P..|58...)$/;
const UNAVAILABLE_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ENOSPC', 'EDQUOT', 'EIO', 'EROFS']);
const PG_CONNECTION_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  // pg's own connect timeout (the client destroys its socket with it).
  'timeout expired',
  'Client has encountered a connection error',
  'Client was closed and is not queryable',
  'the database system is',
  'No space left on device',
];

/** The first wait before a write is tried again; each wait doubles, up to STORE_RETRY_MAX_WAIT_MS. */
const STORE_RETRY_FIRST_WAIT_MS = 100;
const STORE_RETRY_MAX_WAIT_MS = 1000;

/**
 * Runs `write`, trying it again while the store is unavailable, until `boundMs` have passed; then the last failure
 * is thrown. Any other failure is thrown at once.
 */
export async function retryWhileStoreUnavailable<T>(write: () => Promise<T>, boundMs: number): Promise<T> {
  const deadline = performance.now() + boundMs;
  for (let wait = STORE_RETRY_FIRST_WAIT_MS; ; wait = Math.min(wait * 2, STORE_RETRY_MAX_WAIT_MS)) {
    try {
      return await write();
    } catch (error) {
      const left = deadline - performance.now();
      if (!isStoreUnavailable(error) || left <= 0) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.min(wait, left)));
    }
  }
}
