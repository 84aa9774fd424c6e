import 'server-only';
import * as client from 'openid-client';
import type { OidcSettings } from '@/lib/env';
import { AppError } from '@/lib/errors';
import type { PendingSignIn } from './pending-sign-in';

/** The provider id in the callback's path: `/api/auth/callback/oidc`. */
export const PROVIDER_ID = 'oidc';
export const CALLBACK_PATH = `/api/auth/callback/${PROVIDER_ID}`;

/** Who signed in, as the provider's verified ID token (and user info) say. */
export type SignedInIdentity = { issuer: string; subject: string; name: string | null; email: string | null };

export type OidcSignIn = {
  /** The URL to register at the provider as the redirect (callback) URL. */
  callbackUrl: URL;
  /** Where to send the browser, and what to keep until it comes back. */
  begin(returnTo: string): Promise<{ url: URL; pending: PendingSignIn }>;
  /** The provider's answer at the callback, checked (state, PKCE, nonce, the ID token's issuer, audience, signature). */
  finish(callbackSearch: URLSearchParams, pending: PendingSignIn): Promise<SignedInIdentity>;
};

const text = (value: unknown) => (typeof value === 'string' && value.trim() !== '' ? value.trim() : null);

/**
 * Sign-in with any OpenID Connect provider through `openid-client`: the authorization code flow with PKCE, `state`
 * and `nonce` checked, the ID token's signature verified against the issuer's published keys. The provider is
 * discovered on first use (not at start, so a provider that is down does not keep the app from serving), and again
 * after a failed discovery.
 */
export function createOidcSignIn(settings: OidcSettings): OidcSignIn {
  const callbackUrl = new URL(CALLBACK_PATH, settings.appUrl);
  let discovered: Promise<client.Configuration> | undefined;

  const configuration = () => {
    discovered ??= client
      .discovery(
        settings.issuer,
        settings.clientId,
        undefined,
        settings.clientSecret ? client.ClientSecretBasic(settings.clientSecret) : client.None(),
        {
          execute: [
            client.enableNonRepudiationChecks,
            // A provider on plain HTTP is a development set-up (a local Keycloak, the tests' provider).
            ...(settings.issuer.protocol === 'http:' ? [client.allowInsecureRequests] : []),
          ],
        },
      )
      .catch((error: unknown) => {
        discovered = undefined;
        throw new AppError('sign_in_unavailable', 'The sign-in provider could not be reached. Try again shortly.', { cause: error });
      });
    return discovered;
  };

  return {
    callbackUrl,
    async begin(returnTo) {
      const config = await configuration();
      const pending: PendingSignIn = {
        state: client.randomState(),
        nonce: client.randomNonce(),
        codeVerifier: client.randomPKCECodeVerifier(),
        returnTo,
      };
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: callbackUrl.href,
        scope: 'openid profile email',
        response_type: 'code',
        state: pending.state,
        nonce: pending.nonce,
        code_challenge: await client.calculatePKCECodeChallenge(pending.codeVerifier),
        code_challenge_method: 'S256',
      });
      return { url, pending };
    },
    async finish(callbackSearch, pending) {
      const config = await configuration();
      // The callback as registered (APP_URL), whatever host the request reached us on behind a proxy: the token
      // request must name the same redirect URI as the authorization request did.
      const currentUrl = new URL(callbackUrl);
      currentUrl.search = callbackSearch.toString();
      let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
      try {
        tokens = await client.authorizationCodeGrant(config, currentUrl, {
          pkceCodeVerifier: pending.codeVerifier,
          expectedState: pending.state,
          expectedNonce: pending.nonce,
          idTokenExpected: true,
        });
      } catch (error) {
        throw new AppError('sign_in_failed', undefined, { cause: error });
      }
      const claims = tokens.claims();
      if (!claims) throw new AppError('sign_in_failed');
      let name = text(claims.name) ?? text(claims.preferred_username);
      let email = text(claims.email);
      // Some providers put the profile in the user info only.
      if ((!name || !email) && config.serverMetadata().userinfo_endpoint) {
        const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub).catch(() => null);
        name ??= text(info?.name) ?? text(info?.preferred_username);
        email ??= text(info?.email);
      }
      return { issuer: claims.iss, subject: claims.sub, name, email };
    },
  };
}
