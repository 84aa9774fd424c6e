import { isStoreUnavailable } from '@/lib/db/store-errors';

/**
 * How long a write the store refused (a full disk: reads still work) keeps the store reported unavailable when no
 * write has succeeded since. Held answers are tried again meanwhile, and each refusal renews it.
 */
export const REFUSED_WRITE_MEMORY_MS = 10_000;

/** What the statements sent to the store have shown of it: whether it takes writes. */
export type StoreHealth = {
  /** A write failed as an outage, and none has succeeded since, within the last REFUSED_WRITE_MEMORY_MS. */
  refusingWrites(): boolean;
};

type Statements = Record<string, unknown>;

/** A statement's text, whether passed as a string or as pg's `{ text, values }` config. */
const statementText = (first: unknown): string =>
  typeof first === 'string' ? first : typeof first === 'object' && first !== null && 'text' in first ? String(first.text) : '';
const WRITES = /\b(insert|update|delete)\b/i;

/**
 * Watches the statements a driver client runs (its `query` and `exec`): writes that fail as an outage, and writes
 * that succeed. The client is otherwise untouched.
 */
export function watchStatements<T extends object>(client: T): { client: T; health: StoreHealth } {
  let lastRefusedAt = 0;
  let lastWrittenAt = 0;
  const watched = new Set<PropertyKey>(['query', 'exec']);
  const proxy = new Proxy(client, {
    get(target, key) {
      const value = Reflect.get(target, key, target) as unknown;
      if (typeof value !== 'function') return value;
      if (!watched.has(key)) return value.bind(target) as unknown;
      const method = value as (...args: unknown[]) => Promise<unknown>;
      // The statement's text is only looked at when it tells something: a write after a refusal, or a failure.
      const isWrite = (args: unknown[]) => WRITES.test(statementText(args[0]));
      return async (...args: unknown[]) => {
        try {
          const result = await method.apply(target, args);
          if (lastRefusedAt > lastWrittenAt && isWrite(args)) lastWrittenAt = Date.now();
          return result;
        } catch (error) {
          if (isStoreUnavailable(error) && isWrite(args)) lastRefusedAt = Date.now();
          throw error;
        }
      };
    },
  }) as T & Statements;
  return {
    client: proxy,
    health: { refusingWrites: () => lastRefusedAt > lastWrittenAt && Date.now() - lastRefusedAt < REFUSED_WRITE_MEMORY_MS },
  };
}
