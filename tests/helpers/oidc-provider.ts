import { createServer, type Server } from 'node:http';
import Provider from 'oidc-provider';
import { freePort } from './app-server';

export const CLIENT_ID = 'sluice';
export const CLIENT_SECRET = 'sluice-test-client-secret';
export const AUTH_SECRET = 'a-test-secret-of-at-least-32-characters!';

/** The settings of an app signing in with `issuer` as the client above, its public URL `appUrl`. */
export const signInEnv = (issuer: string, appUrl: string) => ({
  AUTH_OIDC_ISSUER: issuer,
  AUTH_OIDC_CLIENT_ID: CLIENT_ID,
  AUTH_OIDC_CLIENT_SECRET: CLIENT_SECRET,
  AUTH_SECRET,
  APP_URL: appUrl,
});

export type OidcProvider = {
  issuer: string;
  /** The provider's login page takes any login; the account is named after it (`ada` -> Ada, ada@example.test). */
  close(): Promise<void>;
};

/** The profile the provider gives an account, from its login. */
export function profileOf(login: string) {
  return { name: login.charAt(0).toUpperCase() + login.slice(1), email: `${login}@example.test` };
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}

/**
 * A real OpenID Connect provider (`oidc-provider`) on a local port, with one confidential client whose redirect
 * URI is the app's callback. PKCE is required; its development login form accepts any login and password.
 */
export async function startOidcProvider(callbackUrl: string): Promise<OidcProvider> {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        redirect_uris: [callbackUrl],
        grant_types: ['authorization_code'],
        response_types: ['code'],
      },
    ],
    pkce: { required: () => true },
    claims: { openid: ['sub'], profile: ['name'], email: ['email', 'email_verified'] },
    // The profile in the ID token itself, as Keycloak, Google and Entra ID put it.
    conformIdTokenClaims: false,
    findAccount: async (_ctx, id) => ({
      accountId: id,
      claims: async () => ({ sub: id, ...profileOf(id), email_verified: true }),
    }),
    features: { devInteractions: { enabled: true } },
    cookies: { keys: ['sluice-tests-provider-cookie-key'] },
  });
  const server = createServer(provider.callback());
  await listen(server, port);
  return { issuer, close: () => close(server) };
}

/**
 * Another issuer's discovery document: the real provider's metadata with `issuer` claiming to be this server. An
 * app that trusts this issuer gets ID tokens whose `iss` is the real provider's, which it must refuse.
 */
export async function startIssuerImpostor(realIssuer: string): Promise<OidcProvider> {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const server = createServer(async (request, response) => {
    if (request.url !== '/.well-known/openid-configuration') {
      response.writeHead(404).end();
      return;
    }
    const metadata = (await (await fetch(`${realIssuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    // The authorization response's own `iss` parameter would give it away first; without it, the ID token must.
    delete metadata.authorization_response_iss_parameter_supported;
    response.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ ...metadata, issuer }));
  });
  await listen(server, port);
  return { issuer, close: () => close(server) };
}
