import 'server-only';
import { createHash, randomBytes } from 'node:crypto';
import { cookies } from 'next/headers';

/**
 * Anonymous sessions. A browser's session is a random token in an httpOnly cookie; the conversations made with
 * it belong to it. The store keeps only the token's SHA-256 (the session's `owner`), so a copy of the database
 * does not hand out sessions.
 */
export const SESSION_COOKIE = 'sluice_session';

/** 256 random bits, base64url: 43 characters. */
const SESSION_TOKEN = /^[A-Za-z0-9_-]{43}$/;

/** Browsers cap a cookie's lifetime at 400 days. */
const SESSION_MAX_AGE_S = 400 * 24 * 60 * 60;

export type Session = { owner: string };

export function newSessionToken(): string {
  return randomBytes(32).toString('base64url');
}

export function ownerOf(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

function sessionFromToken(token: string | undefined): Session | null {
  return token !== undefined && SESSION_TOKEN.test(token) ? { owner: ownerOf(token) } : null;
}

/** For pages: the visitor's session, or null before the browser has one (it owns nothing yet). */
export async function readSession(): Promise<Session | null> {
  return sessionFromToken((await cookies()).get(SESSION_COOKIE)?.value);
}

/** Whether the browser reached us over HTTPS, directly or through a proxy that says so. */
function isHttps(request: Request): boolean {
  const forwarded = request.headers.get('x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase();
  return (forwarded ?? new URL(request.url).protocol.replace(':', '')) === 'https';
}

/**
 * For route handlers: the caller's session. A caller without one (a first visit, curl without a cookie jar) gets
 * a new one, set as a cookie on the response.
 */
export async function requireSession(request: Request): Promise<Session> {
  const jar = await cookies();
  const session = sessionFromToken(jar.get(SESSION_COOKIE)?.value);
  if (session) return session;
  const token = newSessionToken();
  jar.set(SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: 'lax',
    secure: isHttps(request),
    path: '/',
    maxAge: SESSION_MAX_AGE_S,
  });
  return { owner: ownerOf(token) };
}
