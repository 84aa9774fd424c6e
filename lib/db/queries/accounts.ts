import 'server-only';
import { randomUUID } from 'node:crypto';
import { and, eq, gt, sql } from 'drizzle-orm';
import { accounts, accountSessions, type Db } from '@/lib/db/schema';
import { selectRows } from './rows';

export type Account = { id: string; name: string | null; email: string | null };

/** Before an account's id, the owner of its conversations: never a session's owner (a base64url hash has no colon). */
const ACCOUNT_OWNER_PREFIX = 'account:';

/** What owns an account's conversations. */
export function accountOwner(accountId: string): string {
  return `${ACCOUNT_OWNER_PREFIX}${accountId}`;
}

/**
 * Signs a browser in, in one statement: the account (made on its first sign-in, its name and email brought up to
 * date on every one), the new signed-in session, and the guest session's conversations handed to the account. One
 * statement, so a failure leaves no session without its chats or chats moved without a session. Sessions past
 * their expiry (of anyone) are cleared on the way.
 */
export async function signInAccount(
  db: Db,
  sign: {
    issuer: string;
    subject: string;
    name: string | null;
    email: string | null;
    tokenHash: string;
    expiresAt: Date;
    guestOwner: string | null;
  },
): Promise<{ account: Account; carriedOver: number }> {
  const [row] = await selectRows<{ id: string; name: string | null; email: string | null; carried_over: number }>(
    db,
    sql`
      with account as (
        insert into accounts (id, issuer, subject, name, email)
        values (${randomUUID()}, ${sign.issuer}, ${sign.subject}, ${sign.name}, ${sign.email})
        on conflict (issuer, subject) do update set name = excluded.name, email = excluded.email, signed_in_at = now()
        returning id, name, email
      ), session as (
        insert into account_sessions (token_hash, account_id, expires_at)
        select ${sign.tokenHash}, id, ${sign.expiresAt.toISOString()}::timestamptz from account
      ), expired as (
        delete from account_sessions where expires_at < now()
      ), carried as (
        update conversations set owner_id = ${ACCOUNT_OWNER_PREFIX} || (select id from account)::text
        where owner_id = ${sign.guestOwner ?? ''} and ${sign.guestOwner !== null}
        returning 1
      )
      select id, name, email, (select count(*) from carried)::int as carried_over from account`,
  );
  if (!row) throw new Error('sign-in returned no account');
  return { account: { id: row.id, name: row.name, email: row.email }, carriedOver: row.carried_over };
}

/** The account a signed-in session's token belongs to, or null once it is signed out or has expired. */
export async function selectSessionAccount(db: Db, tokenHash: string): Promise<Account | null> {
  const [row] = await db
    .select({ id: accounts.id, name: accounts.name, email: accounts.email })
    .from(accountSessions)
    .innerJoin(accounts, eq(accounts.id, accountSessions.accountId))
    .where(and(eq(accountSessions.tokenHash, tokenHash), gt(accountSessions.expiresAt, sql`now()`)));
  return row ?? null;
}

/** Signs a session out: its token no longer names anyone, wherever it is replayed. */
export async function deleteAccountSession(db: Db, tokenHash: string): Promise<void> {
  await db.delete(accountSessions).where(eq(accountSessions.tokenHash, tokenHash));
}
