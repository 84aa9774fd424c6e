import type { PGlite } from '@electric-sql/pglite';
import { drizzle } from 'drizzle-orm/pglite';
import type { Db } from '@/lib/db/client';
import { schema } from '@/lib/db/schema';

type Queryable = { query: (sql: string, ...rest: unknown[]) => Promise<unknown> };

/**
 * The same embedded database, seen through a handle whose matching statements wait until the test releases
 * them: a store that is as slow as the test wants, so tests assert what happens in between, not how long it took.
 */
export function holdStatements(db: Db, matches: (sql: string) => boolean) {
  const client = (db as unknown as { $client: PGlite }).$client;
  let release = () => {};
  const released = new Promise<void>((resolve) => (release = resolve));
  const held: string[] = [];
  let arrived = () => {};
  const firstArrival = new Promise<void>((resolve) => (arrived = resolve));

  const gate = async (sql: string) => {
    if (!matches(sql)) return;
    held.push(sql);
    arrived();
    await released;
  };
  const wrap = <T extends object>(target: T): T =>
    new Proxy(target, {
      get(object, key) {
        const value = Reflect.get(object, key, object) as unknown;
        if (key === 'query') {
          return async (sql: string, ...rest: unknown[]) => {
            await gate(sql);
            return (value as Queryable['query']).call(object, sql, ...rest);
          };
        }
        if (key === 'transaction') {
          return (fn: (tx: object) => Promise<unknown>) =>
            (value as (fn: (tx: object) => Promise<unknown>) => Promise<unknown>).call(object, (tx) => fn(wrap(tx)));
        }
        return typeof value === 'function' ? value.bind(object) : value;
      },
    });

  return {
    db: drizzle({ client: wrap(client), schema }) as unknown as Db,
    /** Statements that reached the gate, in order. */
    held,
    /** Settles when the first matching statement is waiting. */
    firstArrival,
    release,
  };
}
