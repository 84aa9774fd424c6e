import 'server-only';
import { cookies } from 'next/headers';
import { cache } from 'react';
import { forwardedProto } from '@/lib/http';
import { accountOwner, selectSessionAccount, type Account } from '@/lib/db/queries/accounts';
import { getAppProcess } from './app-process';
import { ANONYMOUS_TOKEN, newSessionToken, ownerOf, SIGNED_IN_TOKEN } from './session-tokens';

/**
 * Sessions. A browser's session is a random token in an httpOnly cookie. An anonymous session's token is its own
 * proof: the conversations made with it belong to it, the store keeping only the token's SHA-256 (the `owner`), so
 * a copy of the database does not hand out sessions. A signed-in session's token (`s.` before the random part) is
 * looked up in the store on every request, so signing out ends it everywhere at once; its conversations belong to
 * the account (`account:<id>`), whichever browser signed in.
 */
export const SESSION_COOKIE = 'sluice_session';

/** Browsers cap a cookie's lifetime at 400 days. */
const ANONYMOUS_MAX_AGE_S = 400 * 24 * 60 * 60;
/** A signed-in session lasts 30 days, then the person signs in again. */
export const SIGNED_IN_MAX_AGE_S = 30 * 24 * 60 * 60;

export type Session = {
  /** Who owns what this session makes and sees: the anonymous session itself, or its account. */
  owner: string;
  account: Account | null;
  /** The cookie's token, to sign the session out (signed-in) or to carry its chats over (anonymous). */
  token: string;
};

/** The session a cookie's token names; null for none, a malformed one, or a signed-in one since signed out. */
async function sessionFromToken(token: string | undefined): Promise<Session | null> {
  if (token === undefined) return null;
  if (ANONYMOUS_TOKEN.test(token)) return { owner: ownerOf(token), account: null, token };
  if (!SIGNED_IN_TOKEN.test(token)) return null;
  const { store } = await getAppProcess();
  const account = await selectSessionAccount(store.db, ownerOf(token));
  return account ? { owner: accountOwner(account.id), account, token } : null;
}

/** For pages: the visitor's session, or null before the browser has one (it owns nothing yet). Once per render. */
export const readSession = cache(async (): Promise<Session | null> => sessionFromToken((await cookies()).get(SESSION_COOKIE)?.value));

/** Whether the browser reached us over HTTPS, directly or through a proxy that says so. */
export function isHttps(request: Request): boolean {
  return (forwardedProto(request.headers) ?? new URL(request.url).protocol.replace(':', '')) === 'https';
}

/**
 * What every cookie of ours is: httpOnly, SameSite=Lax (sent along when a link or the sign-in provider brings the
 * browser here from another site), Secure over HTTPS.
 */
export function cookieOptions(request: Request, path: string, maxAgeS: number) {
  return { httpOnly: true, sameSite: 'lax', secure: isHttps(request), path, maxAge: maxAgeS } as const;
}

/** Puts a session's token in the browser's cookie. */
export async function setSessionCookie(request: Request, token: string, maxAgeS: number): Promise<void> {
  (await cookies()).set(SESSION_COOKIE, token, cookieOptions(request, '/', maxAgeS));
}

/** A new anonymous session, its cookie set on the response. */
export async function startAnonymousSession(request: Request): Promise<Session> {
  const token = newSessionToken();
  await setSessionCookie(request, token, ANONYMOUS_MAX_AGE_S);
  return { owner: ownerOf(token), account: null, token };
}

/**
 * For route handlers: the caller's session. A caller without one (a first visit, curl without a cookie jar, a
 * signed-out cookie replayed) gets a new anonymous one, set as a cookie on the response.
 */
export async function requireSession(request: Request): Promise<Session> {
  const session = await sessionFromToken((await cookies()).get(SESSION_COOKIE)?.value);
  return session ?? startAnonymousSession(request);
}
