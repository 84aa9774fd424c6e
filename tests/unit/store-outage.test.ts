import { describe, expect, it, vi } from 'vitest';
import { createHeldTurns } from '@/lib/agent/held-turns';
import { createTraceSink } from '@/lib/agent/trace-writer';
import type { Db } from '@/lib/db/client';
import type { RunStepRow } from '@/lib/db/queries/traces';
import { isStoreUnavailable, retryWhileStoreUnavailable } from '@/lib/db/store-errors';
import { toAppError } from '@/lib/errors';

/** Errors as the drivers raise them: a code on the error, drizzle's wrapper around it. */
const withCode = (code: string, message = code) => Object.assign(new Error(message), { code });
const wrapped = (cause: Error) => new Error('Failed query: insert into ...', { cause });
const refused = () => withCode('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432');

describe('what counts as the store being unavailable', () => {
  it('is a lost or refused connection, a full disk, a shutdown or an I/O error, wrapped or not', () => {
    for (const error of [
      refused(),
      wrapped(withCode('53100', 'could not extend file "base/5/16390": No space left on device')),
      wrapped(withCode('57P01', 'terminating connection due to administrator command')),
      withCode('08006'),
      wrapped(new Error('Connection terminated unexpectedly')),
      new Error('timeout exceeded when trying to connect'),
      new Error('timeout expired'),
      withCode('ENOSPC'),
    ]) {
      expect(isStoreUnavailable(error), String(error)).toBe(true);
    }
  });

  it('is not a statement that is wrong, or anything else', () => {
    for (const error of [withCode('23505', 'duplicate key'), wrapped(withCode('42601', 'syntax error')), new Error('boom'), 'text']) {
      expect(isStoreUnavailable(error), String(error)).toBe(false);
    }
  });

  it('reaches clients as 503 store_unavailable with Retry-After, not as an internal error', () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const error = toAppError(wrapped(refused()));
    expect([error.code, error.status, error.retryAfterS]).toEqual(['store_unavailable', 503, 5]);
    vi.restoreAllMocks();
  });
});

describe('a write through an outage', () => {
  it('is tried again until the store takes it', async () => {
    const write = vi.fn().mockRejectedValueOnce(refused()).mockRejectedValueOnce(refused()).mockResolvedValue('stored');
    await expect(retryWhileStoreUnavailable(write, 5000)).resolves.toBe('stored');
    expect(write).toHaveBeenCalledTimes(3);
  });

  it('fails at once on anything but an outage', async () => {
    const write = vi.fn().mockRejectedValue(withCode('23505'));
    await expect(retryWhileStoreUnavailable(write, 5000)).rejects.toMatchObject({ code: '23505' });
    expect(write).toHaveBeenCalledTimes(1);
  });

  it('gives up once the bound has passed, with the outage', async () => {
    const write = vi.fn().mockRejectedValue(refused());
    await expect(retryWhileStoreUnavailable(write, 300)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(write.mock.calls.length).toBeGreaterThan(1);
  });
});

describe('answers held through an outage', () => {
  it('are stored once the store takes them, at the next prompt at the latest; until then the prompt is refused', async () => {
    const held = createHeldTurns();
    const write = vi.fn().mockRejectedValueOnce(refused()).mockResolvedValue(undefined);
    held.hold('c1', write);
    await expect(held.settle('c1')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(held.size).toBe(1);
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    await held.settle('c1');
    expect(held.size).toBe(0);
    // Nothing held in a conversation: nothing to wait for.
    await held.settle('c2');
    expect(write).toHaveBeenCalledTimes(2);
    vi.restoreAllMocks();
  });

  it('are dropped, loudly, when the store refuses them for another reason than an outage', async () => {
    const held = createHeldTurns();
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    held.hold('c1', () => Promise.reject(withCode('23505')));
    await held.settle('c1');
    expect(held.size).toBe(0);
    expect(logged).toHaveBeenCalled();
    vi.restoreAllMocks();
  });
});

describe('trace rows written through an outage', () => {
  it('are written again, as they stand then, when a write fails: none is dropped', async () => {
    const writes: RunStepRow[][] = [];
    let failing = true;
    const sink = createTraceSink({} as Db, {
      delayMs: 10_000,
      write: async (_db, rows) => {
        if (failing) throw refused();
        writes.push(rows);
      },
    });
    const row: RunStepRow = { runId: 'r1', seq: 1, name: 'respond', status: 'started', input: null, startedAt: new Date() };
    sink.touch(row);
    vi.spyOn(console, 'error').mockImplementation(() => {});
    await expect(sink.flush()).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    // The step goes on while the store is away.
    row.status = 'completed';
    failing = false;
    await sink.flush();
    expect(writes).toEqual([[expect.objectContaining({ runId: 'r1', seq: 1, status: 'completed' })]]);
    vi.restoreAllMocks();
  });
});
