import 'server-only';
import { cookies } from 'next/headers';
import { cache } from 'react';
import { openPendingSignIn, PENDING_SIGN_IN_MAX_AGE_S, safeReturnPath, sealPendingSignIn } from '@/lib/auth/pending-sign-in';
import { CALLBACK_PATH, type OidcSignIn } from '@/lib/auth/oidc';
import { causeChain } from '@/lib/cause-chain';
import { accountOwner, deleteAccountSession, signInAccount } from '@/lib/db/queries/accounts';
import type { SessionInfo } from '@/lib/contract';
import { oidcSettings } from '@/lib/env';
import { AppError } from '@/lib/errors';
import {
  cookieOptions,
  readSession,
  requireSession,
  setSessionCookie,
  SIGNED_IN_MAX_AGE_S,
  startAnonymousSession,
  type Session,
} from '@/lib/services/session';
import { getAppProcess } from './app-process';
import { newSignedInToken, ownerOf } from './session-tokens';

/** Holds what a sign-in started with until the provider sends the browser back; only the callback reads it. */
const PENDING_COOKIE = 'sluice_sign_in';

async function requireSignIn(): Promise<{ signIn: OidcSignIn; secret: string }> {
  const { signIn, env } = await getAppProcess();
  const settings = oidcSettings(env);
  if (!signIn || !settings) throw new AppError('sign_in_off');
  return { signIn, secret: settings.secret };
}

/** Starts signing in: the provider's authorization URL to send the browser to, `returnTo` the page to come back to. */
export async function beginSignIn(request: Request): Promise<URL> {
  const { signIn, secret } = await requireSignIn();
  const returnTo = safeReturnPath(new URL(request.url).searchParams.get('returnTo'));
  const { url, pending } = await signIn.begin(returnTo);
  // Only the callback reads it; Lax lets it come along when the provider sends the browser back.
  (await cookies()).set(PENDING_COOKIE, await sealPendingSignIn(pending, secret), cookieOptions(request, CALLBACK_PATH, PENDING_SIGN_IN_MAX_AGE_S));
  return url;
}

/**
 * The provider sent the browser back: the answer is checked, the account found or made, the guest session's
 * conversations handed to it, and the browser given a new signed-in session (a new token, never the guest's).
 * Returns the page to go back to.
 */
export async function finishSignIn(request: Request): Promise<string> {
  const { signIn, secret } = await requireSignIn();
  const jar = await cookies();
  const pending = await openPendingSignIn(jar.get(PENDING_COOKIE)?.value, secret);
  jar.delete({ name: PENDING_COOKIE, path: CALLBACK_PATH });
  const search = new URL(request.url).searchParams;
  try {
    if (!pending) throw new AppError('sign_in_failed', 'This sign-in was started in another browser or took too long. Sign in again.');
    const refused = search.get('error');
    // The provider's error code (`access_denied`...), named only when it looks like one: the URL is anyone's to write.
    if (refused !== null) throw new AppError('sign_in_failed', `The sign-in provider refused the sign-in${/^[a-z_]{1,64}$/.test(refused) ? ` (${refused})` : ''}. Sign in again.`);
    const identity = await signIn.finish(search, pending);
    const current = await requireSession(request);
    const token = newSignedInToken();
    const { store, runs } = await getAppProcess();
    const { account, carriedOver } = await signInAccount(store.db, {
      ...identity,
      tokenHash: ownerOf(token),
      expiresAt: new Date(Date.now() + SIGNED_IN_MAX_AGE_S * 1000),
      guestOwner: current.account ? null : current.owner,
    });
    if (current.account) {
      // Signing in again while signed in: the session it replaces ends.
      await deleteAccountSession(store.db, ownerOf(current.token));
    } else {
      // Answers being written in the guest's chats go on, now the account's to follow and stop. (With several
      // instances, one running elsewhere is found through the store, which the statement above already changed.)
      runs.registry.reown(current.owner, accountOwner(account.id));
    }
    await setSessionCookie(request, token, SIGNED_IN_MAX_AGE_S);
    console.info(JSON.stringify({ level: 'info', event: 'signed_in', account: account.id, carriedOver }));
    return pending.returnTo;
  } catch (error) {
    if (error instanceof AppError && error.code === 'sign_in_failed') {
      // Why, for whoever runs the server (the browser is told only that it failed): openid-client's message, its
      // code, and the claim that did not match (`iss`, `aud`, `nonce`) when it was one.
      const causes = [...causeChain(error)] as (Error & { code?: string; cause?: { claim?: unknown } })[];
      const claim = causes.map((cause) => cause.cause?.claim).find((name) => typeof name === 'string');
      console.warn(
        JSON.stringify({
          level: 'warn',
          event: 'sign_in_failed',
          cause: causes.map((cause) => cause.message).join(': '),
          code: causes.find((cause) => typeof cause.code === 'string')?.code,
          claim,
        }),
      );
    }
    throw error;
  }
}

/** Ends the session: a signed-in one is deleted (its cookie no longer works anywhere), and a new anonymous one begins. */
export async function signOut(request: Request): Promise<void> {
  const current = await requireSession(request);
  if (current.account) await deleteAccountSession((await getAppProcess()).store.db, ownerOf(current.token));
  await startAnonymousSession(request);
}

/** What a client may know of its session: whether sign-in is offered, and who is signed in. */
export async function sessionInfo(session: Session | null): Promise<SessionInfo> {
  const { signIn } = await getAppProcess();
  const account = session?.account;
  return {
    signIn: signIn ? 'available' : 'off',
    account: account ? { name: account.name, email: account.email } : null,
  };
}

/** For pages: the visitor's session info, once per render. */
export const visitorSessionInfo = cache(async (): Promise<SessionInfo> => sessionInfo(await readSession()));
