import 'server-only';
import type { SQL } from 'drizzle-orm';
import type { Db } from '@/lib/db/schema';

/**
 * The rows of a raw statement, typed by the caller. Both drivers return `{ rows }`; the shared `Db` type cannot say
 * so, which is why this one cast lives here rather than at every statement.
 */
export async function selectRows<Row>(db: Db, statement: SQL): Promise<Row[]> {
  const result = (await db.execute(statement)) as unknown as { rows: Row[] };
  return result.rows;
}

/** Whether a statement failed on the named unique index (drizzle wraps the driver's error as its cause). */
export function violatesUnique(error: unknown, constraint: string): boolean {
  for (let cause = error; cause instanceof Error; cause = cause.cause) {
    const { code, constraint: name } = cause as Error & { code?: string; constraint?: string };
    if (code === '23505') return name === constraint || cause.message.includes(constraint);
  }
  return false;
}
