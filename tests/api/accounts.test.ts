import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConversationListSchema, ErrorBodySchema, SessionInfoSchema } from '@/lib/contract';
import { freePort, startApp, type AppServer } from '../helpers/app-server';
import { createClient, getConversation, newConversation, postPrompt, readRun, runPrompt, SESSION_COOKIE, type ApiClient } from '../helpers/api-client';
import { profileOf, signInEnv, startIssuerImpostor, startOidcProvider, type OidcProvider } from '../helpers/oidc-provider';
import { createScratchDatabase, explainSkippedPostgres, POSTGRES_URL, storeEnv } from '../helpers/postgres';
import { explainSkippedRedis, REDIS_URL } from '../helpers/redis';
import { signInThroughProvider } from '../helpers/sign-in';

explainSkippedPostgres();
explainSkippedRedis();
const stores = ['PGlite', ...(POSTGRES_URL ? ['PostgreSQL'] : [])];
const RATE_LIMIT_RUNS = 6;
/** The settings of an app signing in with `issuer`, whose public URL is `appUrl`. */
const signingEnv = (issuer: string, appUrl: string, env: Record<string, string> = {}) => ({
  ...signInEnv(issuer, appUrl),
  // Slow enough that a stop arrives while the answer is being written.
  DEMO_TOKEN_DELAY_MS: '20',
  ...env,
});

/** The app, on a port chosen first, signing in with `issuer` (the provider's callback is registered on it). */
async function startSigningApp(issuer: (callbackUrl: string) => Promise<OidcProvider>, env: Record<string, string> = {}) {
  const port = await freePort();
  const appUrl = `http://127.0.0.1:${port}`;
  const provider = await issuer(`${appUrl}/api/auth/callback/oidc`);
  const app = await startApp(signingEnv(provider.issuer, appUrl, env), { port });
  return { app, provider };
}

const sessionOf = async (client: ApiClient) => SessionInfoSchema.parse(await (await client.fetch('/api/auth/session')).json());
const listOf = async (client: ApiClient) => ConversationListSchema.parse(await (await client.fetch('/api/conversations')).json()).conversations;
const errorCode = async (response: Response) => ErrorBodySchema.parse(await response.json()).error.code;
const tokenOf = (client: ApiClient) => client.cookie.slice(SESSION_COOKIE.length + 1);

describe.each(stores)('signing in with an OpenID Connect provider, on %s', (storeName) => {
  let app: AppServer;
  let provider: OidcProvider;
  let dropDatabase: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    const store = await storeEnv(storeName);
    dropDatabase = store.drop;
    ({ app, provider } = await startSigningApp(startOidcProvider, {
      RATE_LIMIT_RUNS: String(RATE_LIMIT_RUNS),
      RATE_LIMIT_WINDOW_S: '600',
      ...store.env,
    }));
  });
  afterAll(async () => {
    await app?.stop();
    await provider?.close();
    await dropDatabase?.();
  });

  it('signs a guest in, with a new HttpOnly cookie, and carries the guest chats over to the account', async () => {
    const guest = createClient(app.url);
    expect(await sessionOf(guest)).toEqual({ signIn: 'available', account: null });
    const id = await newConversation(guest);
    await runPrompt(guest, id, 'How do rivers form?');

    const { callback, client: ada } = await signInThroughProvider(guest, 'ada');
    expect(callback.status).toBe(303);
    expect(callback.headers.get('location')).toBe('/');
    const cookie = callback.headers.getSetCookie().find((c) => c.startsWith(`${SESSION_COOKIE}=`))!;
    expect(cookie.toLowerCase()).toEqual(expect.stringContaining('httponly'));
    expect(cookie.toLowerCase()).toEqual(expect.stringContaining('samesite=lax'));
    // A new token, never the guest's (a session fixed before signing in is worth nothing after).
    expect(tokenOf(ada)).toMatch(/^s\./);
    expect(tokenOf(ada)).not.toBe(tokenOf(guest));

    expect(await sessionOf(ada)).toEqual({ signIn: 'available', account: profileOf('ada') });
    expect((await listOf(ada)).map((c) => c.id)).toEqual([id]);
    expect((await getConversation(ada, id)).messages.map((m) => m.role)).toEqual(['user', 'assistant']);
    // The chats moved: the guest cookie, were it kept, sees none of them.
    expect(await listOf(guest)).toEqual([]);
  });

  it('shows the same account the same chats in another browser, to run, stop and fork; another account sees none', async () => {
    const first = (await signInThroughProvider(createClient(app.url), 'grace')).client;
    const id = await newConversation(first);
    await runPrompt(first, id, 'How do rivers form?');
    const runId = (await getConversation(first, id)).messages[0]!.runId!;

    const second = (await signInThroughProvider(createClient(app.url), 'grace')).client;
    expect(tokenOf(second)).not.toBe(tokenOf(first));
    expect((await listOf(second)).map((c) => c.id)).toEqual([id]);
    // runs a prompt there and stops it
    const running = await postPrompt(second, id, 'Write a long poem about the sea');
    expect(running.status).toBe(200);
    const cancel = await first.fetch(`/api/conversations/${id}/cancel`, { method: 'POST' });
    expect(cancel.status).toBe(202);
    await running.text();
    // forks it
    const fork = await second.fetch(`/api/conversations/${id}/fork`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ runId, step: 'prompt', prompt: 'Write a poem about rivers' }),
    });
    expect(fork.status).toBe(201);
    expect(await listOf(first)).toHaveLength(2);

    const other = (await signInThroughProvider(createClient(app.url), 'linus')).client;
    expect(await sessionOf(other)).toEqual({ signIn: 'available', account: profileOf('linus') });
    expect(await listOf(other)).toEqual([]);
    expect((await other.fetch(`/api/conversations/${id}`)).status).toBe(404);
    expect((await other.fetch(`/api/conversations/${id}/cancel`, { method: 'POST' })).status).toBe(404);
    expect((await postPrompt(other, id, 'hello')).status).toBe(404);
  });

  it('signs out for good: the cookie no longer works, even replayed, and the chats come back on the next sign-in', async () => {
    const guest = createClient(app.url);
    const first = await newConversation(guest);
    const ada = (await signInThroughProvider(guest, 'hedy')).client;

    const signOut = await ada.fetch('/api/auth/signout', { method: 'POST', redirect: 'manual' });
    expect(signOut.status).toBe(303);
    expect(signOut.headers.get('location')).toBe('/');
    const fresh = signOut.headers.getSetCookie().find((c) => c.startsWith(`${SESSION_COOKIE}=`))!;
    const freshToken = fresh.slice(SESSION_COOKIE.length + 1).split(';')[0]!;
    expect(freshToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const anonymous = createClient(app.url, freshToken);
    expect(await sessionOf(anonymous)).toEqual({ signIn: 'available', account: null });
    expect(await listOf(anonymous)).toEqual([]);

    // The signed-out cookie, replayed: nobody's.
    expect(await sessionOf(ada)).toEqual({ signIn: 'available', account: null });
    expect(await listOf(ada)).toEqual([]);
    expect((await ada.fetch(`/api/conversations/${first}`)).status).toBe(404);

    // A new guest chat, then signing in again: both chats, each once.
    const second = await newConversation(anonymous);
    const back = (await signInThroughProvider(anonymous, 'hedy')).client;
    expect((await listOf(back)).map((c) => c.id).sort()).toEqual([first, second].sort());
  });

  it('hands an answer being written to the account signed in meanwhile, to follow and stop', async () => {
    const guest = createClient(app.url);
    const id = await newConversation(guest);
    const running = await postPrompt(guest, id, 'Write a long poem about the sea');
    expect(running.status).toBe(200);
    const signedIn = (await signInThroughProvider(guest, 'barbara')).client;
    const followed = await signedIn.fetch(`/api/conversations/${id}/stream`);
    expect(followed.status).toBe(200);
    const cancel = await signedIn.fetch(`/api/conversations/${id}/cancel`, { method: 'POST' });
    expect(cancel.status).toBe(202);
    const { events } = await readRun(followed);
    expect(events.at(-1)?.event).toMatchObject({ type: 'done', value: { status: 'interrupted' } });
    await running.text();
    expect((await postPrompt(signedIn, id, 'And one about rivers')).status).toBe(200);
  });

  it('counts the rate limit per account, across its browsers', async () => {
    const one = (await signInThroughProvider(createClient(app.url), 'carol')).client;
    const two = (await signInThroughProvider(createClient(app.url), 'carol')).client;
    const id = await newConversation(one);
    for (let run = 0; run < RATE_LIMIT_RUNS; run++) await runPrompt(run % 2 ? one : two, id, `prompt ${run}`);
    const refused = await postPrompt(two, id, 'one more');
    expect(refused.status).toBe(429);
    // Another account is not held back by it.
    const other = (await signInThroughProvider(createClient(app.url), 'dennis')).client;
    expect((await postPrompt(other, await newConversation(other), 'hello')).status).toBe(200);
  });

  it('refuses a callback whose state was changed on the way, and signs nobody in', async () => {
    const guest = createClient(app.url);
    const id = await newConversation(guest);
    const { callback, client } = await signInThroughProvider(guest, 'mallory', { tamperState: true });
    expect(callback.status).toBe(400);
    expect(await errorCode(callback)).toBe('sign_in_failed');
    expect(tokenOf(client)).toBe(tokenOf(guest));
    expect(await sessionOf(client)).toEqual({ signIn: 'available', account: null });
    expect((await listOf(guest)).map((c) => c.id)).toEqual([id]);
    // The sign-in it started is used up: the same answer cannot be replayed either.
    expect(app.logs()).toContain('sign_in_failed');
  });
});

describe('a provider whose ID tokens name another issuer', () => {
  let app: AppServer;
  let real: OidcProvider;
  let impostor: OidcProvider;

  beforeAll(async () => {
    ({ app, provider: impostor } = await startSigningApp(async (callbackUrl) => {
      real = await startOidcProvider(callbackUrl);
      return startIssuerImpostor(real.issuer);
    }));
  });
  afterAll(async () => {
    await app?.stop();
    await impostor?.close();
    await real?.close();
  });

  it('refuses the ID token and signs nobody in', async () => {
    const guest = createClient(app.url);
    const { callback, client } = await signInThroughProvider(guest, 'eve', { dropIssParameter: true });
    expect(callback.status).toBe(400);
    expect(await errorCode(callback)).toBe('sign_in_failed');
    expect(await sessionOf(client)).toEqual({ signIn: 'available', account: null });
    expect(app.logs()).toMatch(/"event":"sign_in_failed".*"claim":"iss"/);
  });
});

describe('a provider that cannot be reached', () => {
  let app: AppServer;

  beforeAll(async () => {
    const port = await freePort();
    // Nothing listens at the issuer.
    const issuer = `http://127.0.0.1:${await freePort()}`;
    app = await startApp(signingEnv(issuer, `http://127.0.0.1:${port}`), { port });
  });
  afterAll(() => app?.stop());

  it('keeps serving guests, and says sign-in is unavailable: a page for a browser, 503 for a client', async () => {
    const guest = createClient(app.url);
    await runPrompt(guest, await newConversation(guest), 'How do rivers form?');
    const forClient = await guest.fetch('/api/auth/signin/oidc', { redirect: 'manual' });
    expect(forClient.status).toBe(503);
    expect(forClient.headers.get('retry-after')).toBe('5');
    expect(await errorCode(forClient)).toBe('sign_in_unavailable');
    const forBrowser = await guest.fetch('/api/auth/signin/oidc', { redirect: 'manual', headers: { Accept: 'text/html,*/*' } });
    expect(forBrowser.status).toBe(503);
    expect(forBrowser.headers.get('content-type')).toContain('text/html');
    expect(await forBrowser.text()).toContain('The sign-in provider could not be reached');
  });
});

describe.runIf(POSTGRES_URL && REDIS_URL)('signing in with two instances sharing PostgreSQL and Redis', () => {
  let a: AppServer;
  let b: AppServer;
  let provider: OidcProvider;
  let drop = async () => {};

  beforeAll(async () => {
    const scratch = await createScratchDatabase(POSTGRES_URL!);
    drop = scratch.drop;
    // Both behind one public URL (APP_URL, A's here): the provider sends the browser back to either.
    const port = await freePort();
    const appUrl = `http://127.0.0.1:${port}`;
    provider = await startOidcProvider(`${appUrl}/api/auth/callback/oidc`);
    const env = signingEnv(provider.issuer, appUrl, { DATABASE_URL: scratch.url, REDIS_URL: REDIS_URL! });
    [a, b] = await Promise.all([startApp(env, { port }), startApp(env)]);
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await provider?.close();
    await drop();
  });

  it('carries a guest chat made on one over, serves the account on both, and a sign-out on one ends it on the other', async () => {
    const guestOnB = createClient(b.url);
    const id = await newConversation(guestOnB);
    await runPrompt(guestOnB, id, 'How do rivers form?');
    // The same browser (the same cookie) signs in through A.
    const onA = (await signInThroughProvider(createClient(a.url, tokenOf(guestOnB)), 'ada')).client;
    const onB = createClient(b.url, tokenOf(onA));
    expect(await sessionOf(onB)).toEqual({ signIn: 'available', account: profileOf('ada') });
    expect((await listOf(onB)).map((c) => c.id)).toEqual([id]);
    const next = await postPrompt(onB, id, 'And lakes?');
    expect(next.status).toBe(200);
    await next.text();

    const signOut = await onB.fetch('/api/auth/signout', { method: 'POST', redirect: 'manual' });
    expect(signOut.status).toBe(303);
    expect(await sessionOf(onA)).toEqual({ signIn: 'available', account: null });
    expect((await onA.fetch(`/api/conversations/${id}`)).status).toBe(404);
  });
});

