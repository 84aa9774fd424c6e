import 'server-only';
import type { SQL } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import { causeChain } from '@/lib/cause-chain';
import type { Db } from '@/lib/db/schema';

const dialect = new PgDialect();

/** The SQLSTATE a statement failed with, under drizzle's wrapping. */
function sqlStateOf(error: unknown): string | undefined {
  for (const cause of causeChain(error)) {
    const { code } = cause as Error & { code?: unknown };
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

/**
 * What a pooler in transaction mode that does not carry prepared statements (PgBouncer before 1.21) answers: the
 * statement is not on the server connection it picked (26000), or another client's is (42P05). Either way nothing ran.
 */
const PREPARED_NOT_CARRIED = new Set(['26000', '42P05']);
let preparedStatementsWork = true;

/**
 * The rows of a raw statement, typed by the caller. Both drivers return `{ rows }`; the shared `Db` type cannot say
 * so, which is why this one cast lives here rather than at every statement.
 *
 * `prepareAs` names a statement whose text never changes (its values do): PostgreSQL then parses it once per
 * connection and keeps its plan, where an unnamed statement is parsed and planned every time. For the statements
 * every run waits on. PGlite runs it as any other. Behind a pooler that cannot keep it, it runs unnamed from then on.
 */
export async function selectRows<Row>(db: Db, statement: SQL, { prepareAs }: { prepareAs?: string } = {}): Promise<Row[]> {
  const rowsOf = (result: unknown) => (result as { rows: Row[] }).rows;
  if (prepareAs && preparedStatementsWork) {
    try {
      return rowsOf(await db._.session.prepareQuery(dialect.sqlToQuery(statement), undefined, prepareAs, false).execute());
    } catch (error) {
      const state = sqlStateOf(error);
      if (!state || !PREPARED_NOT_CARRIED.has(state)) throw error;
      preparedStatementsWork = false;
      console.warn(`[sluice] the database did not keep a prepared statement (${state}): statements go unnamed from now on`);
    }
  }
  return rowsOf(await db.execute(statement));
}

/** Whether a statement failed on the named unique index (drizzle wraps the driver's error as its cause). */
export function violatesUnique(error: unknown, constraint: string): boolean {
  for (const cause of causeChain(error)) {
    const { code, constraint: name } = cause as Error & { code?: string; constraint?: string };
    if (code === '23505') return name === constraint || cause.message.includes(constraint);
  }
  return false;
}
