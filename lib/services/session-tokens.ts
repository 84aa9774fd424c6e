import { createHash, randomBytes } from 'node:crypto';

/**
 * A session cookie's token, and the owner it stands for: the token's SHA-256, which is all the store keeps.
 * Anonymous tokens are 256 random bits in base64url (43 characters); a signed-in session's has `s.` before them.
 */
export const ANONYMOUS_TOKEN = /^[A-Za-z0-9_-]{43}$/;
export const SIGNED_IN_TOKEN = /^s\.[A-Za-z0-9_-]{43}$/;

export function newSessionToken(): string {
  return randomBytes(32).toString('base64url');
}

export function newSignedInToken(): string {
  return `s.${newSessionToken()}`;
}

export function ownerOf(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}
