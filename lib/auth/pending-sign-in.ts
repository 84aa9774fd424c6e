import 'server-only';
import { hkdfSync } from 'node:crypto';
import { EncryptJWT, jwtDecrypt } from 'jose';
import { z } from 'zod';

/** What a sign-in started with, kept by the browser (sealed) until the provider sends it back to the callback. */
const PendingSignInSchema = z.object({
  state: z.string().min(1),
  nonce: z.string().min(1),
  codeVerifier: z.string().min(43),
  /** The page to come back to, a path on this site. */
  returnTo: z.string().startsWith('/'),
});
export type PendingSignIn = z.infer<typeof PendingSignInSchema>;

/** A sign-in left at the provider's page for longer than this starts over. */
export const PENDING_SIGN_IN_MAX_AGE_S = 10 * 60;

function keyFrom(secret: string): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', secret, 'sluice', 'pending sign-in', 32));
}

/**
 * Sealed with AUTH_SECRET (encrypted and authenticated, A256GCM): the browser can neither read the PKCE verifier
 * nor change the expected `state` and `nonce`.
 */
export async function sealPendingSignIn(pending: PendingSignIn, secret: string): Promise<string> {
  return new EncryptJWT(pending)
    .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
    .setIssuedAt()
    .setExpirationTime(`${PENDING_SIGN_IN_MAX_AGE_S}s`)
    .encrypt(keyFrom(secret));
}

/** The pending sign-in, or null when the value was not sealed by us, was changed, or is too old. */
export async function openPendingSignIn(sealed: string | undefined, secret: string): Promise<PendingSignIn | null> {
  if (!sealed) return null;
  try {
    const { payload } = await jwtDecrypt(sealed, keyFrom(secret));
    const parsed = PendingSignInSchema.safeParse(payload);
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** A page to return to after signing in: only a path on this site, never another site (`//host`, `/\host`). */
export function safeReturnPath(value: string | null | undefined): string {
  if (!value || !value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return '/';
  return value;
}
