import { describe, expect, it, vi } from 'vitest';
import { openPendingSignIn, safeReturnPath, sealPendingSignIn } from '@/lib/auth/pending-sign-in';
import { oidcSettings, parseEnv } from '@/lib/env';

const SECRET = 'a-test-secret-of-at-least-32-characters!';
const configured = {
  AUTH_OIDC_ISSUER: 'https://id.example.com/realms/sluice',
  AUTH_OIDC_CLIENT_ID: 'sluice',
  AUTH_OIDC_CLIENT_SECRET: 'shh',
  AUTH_SECRET: SECRET,
  APP_URL: 'https://chat.example.com',
};

describe('sign-in settings', () => {
  it('are off when AUTH_OIDC_ISSUER is unset', () => {
    expect(oidcSettings(parseEnv({}))).toBeNull();
    expect(oidcSettings(parseEnv({ AUTH_OIDC_ISSUER: '' }))).toBeNull();
  });

  it('are read whole when the issuer is set, the client secret optional (a public client uses PKCE alone)', () => {
    const settings = oidcSettings(parseEnv(configured));
    expect(settings).toMatchObject({ clientId: 'sluice', clientSecret: 'shh', secret: SECRET });
    expect(settings?.issuer.href).toBe('https://id.example.com/realms/sluice');
    expect(oidcSettings(parseEnv({ ...configured, AUTH_OIDC_CLIENT_SECRET: undefined }))?.clientSecret).toBeUndefined();
  });

  it('refuse to start half-configured, naming what is missing', () => {
    expect(() => parseEnv({ AUTH_OIDC_ISSUER: configured.AUTH_OIDC_ISSUER })).toThrow(/AUTH_OIDC_CLIENT_ID, AUTH_SECRET and APP_URL/);
    expect(() => parseEnv({ ...configured, APP_URL: undefined })).toThrow(/APP_URL/);
    expect(() => parseEnv({ ...configured, AUTH_SECRET: 'short' })).toThrow(/AUTH_SECRET must be at least 32 characters/);
    expect(() => parseEnv({ ...configured, AUTH_OIDC_ISSUER: 'not a url' })).toThrow(/AUTH_OIDC_ISSUER/);
  });
});

describe('the pending sign-in the browser keeps', () => {
  const pending = { state: 'state-1', nonce: 'nonce-1', codeVerifier: 'v'.repeat(43), returnTo: '/c/123' };

  it('comes back as it was sealed, and unreadable in between', async () => {
    const sealed = await sealPendingSignIn(pending, SECRET);
    expect(sealed).not.toContain('state-1');
    expect(sealed).not.toContain('v'.repeat(10));
    expect(await openPendingSignIn(sealed, SECRET)).toEqual(pending);
  });

  it('is refused when changed, sealed with another secret, missing or too old', async () => {
    const sealed = await sealPendingSignIn(pending, SECRET);
    // One character of the ciphertext (the fourth of five parts) replaced by another.
    const at = sealed.split('.').slice(0, 3).join('.').length + 3;
    const changed = sealed.slice(0, at) + (sealed[at] === 'A' ? 'B' : 'A') + sealed.slice(at + 1);
    expect(await openPendingSignIn(changed, SECRET)).toBeNull();
    expect(await openPendingSignIn(sealed, 'another-secret-of-at-least-32-characters')).toBeNull();
    expect(await openPendingSignIn(undefined, SECRET)).toBeNull();
    expect(await openPendingSignIn('garbage', SECRET)).toBeNull();
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(Date.now() + 9 * 60 * 1000);
      expect(await openPendingSignIn(sealed, SECRET)).toEqual(pending);
      vi.setSystemTime(Date.now() + 2 * 60 * 1000);
      expect(await openPendingSignIn(sealed, SECRET)).toBeNull();
    } finally {
      vi.useRealTimers();
    }
  });

  it('returns only to a page of this site', () => {
    expect(safeReturnPath('/c/123?x=1')).toBe('/c/123?x=1');
    for (const outside of [null, '', 'https://evil.example', '//evil.example', '/\\evil.example', 'c/123']) {
      expect(safeReturnPath(outside)).toBe('/');
    }
  });
});
