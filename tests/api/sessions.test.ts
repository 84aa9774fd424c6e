import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConversationListSchema, CreatedConversationSchema, ErrorBodySchema, SessionInfoSchema } from '@/lib/contract';
import { startApp, type AppServer } from '../helpers/app-server';
import {
  createClient,
  getConversation,
  newConversation,
  postPrompt,
  readRun,
  runPrompt,
  SESSION_COOKIE,
  type ApiClient,
} from '../helpers/api-client';

const RATE_LIMIT_RUNS = 4;

let app: AppServer;
let owner: ApiClient;
let stranger: ApiClient;

beforeAll(async () => {
  app = await startApp({ DEMO_TOKEN_DELAY_MS: '20', RATE_LIMIT_RUNS: String(RATE_LIMIT_RUNS), RATE_LIMIT_WINDOW_S: '60' });
  owner = createClient(app.url);
  stranger = createClient(app.url);
});
afterAll(() => app?.stop());

const errorCode = async (response: Response) => ErrorBodySchema.parse(await response.json()).error.code;

/** The `sluice_session` cookie a response sets, with its attributes; undefined when it sets none. */
function sessionCookieOf(response: Response) {
  const header = response.headers.getSetCookie().find((cookie) => cookie.startsWith(`${SESSION_COOKIE}=`));
  if (!header) return undefined;
  const [pair, ...attributes] = header.split(';').map((part) => part.trim());
  return { token: pair!.slice(SESSION_COOKIE.length + 1), attributes: attributes.map((a) => a.toLowerCase()) };
}

describe('anonymous sessions', () => {
  it('gives a caller without a session a random, httpOnly, SameSite=Lax cookie that then owns what it makes', async () => {
    const created = await fetch(`${app.url}/api/conversations`, { method: 'POST' });
    expect(created.status).toBe(201);
    const cookie = sessionCookieOf(created)!;
    expect(cookie).toBeDefined();
    // 256 random bits, base64url
    expect(cookie.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(cookie.attributes).toEqual(expect.arrayContaining(['httponly', 'samesite=lax', 'path=/']));
    expect(cookie.attributes).not.toContain('secure');
    expect(cookie.attributes.some((a) => a.startsWith('max-age='))).toBe(true);

    const { id } = CreatedConversationSchema.parse(await created.json());
    const issued = createClient(app.url, cookie.token);
    expect((await getConversation(issued, id)).id).toBe(id);
    // A caller that already has a session is not given another.
    expect(sessionCookieOf(await issued.fetch('/api/conversations'))).toBeUndefined();
    // Without the cookie, the conversation is nobody's to see.
    expect((await fetch(`${app.url}/api/conversations/${id}`)).status).toBe(404);
    const second = await fetch(`${app.url}/api/conversations`, { method: 'POST' });
    expect(sessionCookieOf(second)!.token).not.toBe(cookie.token);
  });

  it('marks the cookie Secure when the browser came over HTTPS through a proxy', async () => {
    const response = await fetch(`${app.url}/api/conversations`, { headers: { 'X-Forwarded-Proto': 'https' } });
    expect(sessionCookieOf(response)!.attributes).toContain('secure');
  });

  it('treats a malformed session cookie as none, and issues a proper one', async () => {
    const response = await fetch(`${app.url}/api/conversations`, { headers: { cookie: `${SESSION_COOKIE}=short` } });
    expect(response.status).toBe(200);
    expect(ConversationListSchema.parse(await response.json()).conversations).toEqual([]);
    expect(sessionCookieOf(response)!.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});

describe('without sign-in configured (no AUTH_OIDC_ISSUER)', () => {
  it('says sign-in is off, refuses to start one, and signing out just begins a new anonymous session', async () => {
    const session = await owner.fetch('/api/auth/session');
    expect(SessionInfoSchema.parse(await session.json())).toEqual({ signIn: 'off', account: null });
    const signIn = await owner.fetch('/api/auth/signin/oidc', { redirect: 'manual' });
    expect(signIn.status).toBe(404);
    expect(await errorCode(signIn)).toBe('sign_in_off');
    const callback = await owner.fetch('/api/auth/callback/oidc?code=x&state=y', { redirect: 'manual' });
    expect(callback.status).toBe(404);

    const guest = createClient(app.url);
    const id = await newConversation(guest);
    const signOut = await guest.fetch('/api/auth/signout', { method: 'POST', redirect: 'manual' });
    expect(signOut.status).toBe(303);
    const fresh = sessionCookieOf(signOut)!;
    expect(fresh.token).not.toBe(guest.cookie.split('=')[1]);
    const after = createClient(app.url, fresh.token);
    expect(ConversationListSchema.parse(await (await after.fetch('/api/conversations')).json()).conversations).toEqual([]);
    // A sign-out from another site is refused like any cross-site change.
    const forged = await guest.fetch('/api/auth/signout', { method: 'POST', redirect: 'manual', headers: { Origin: 'https://evil.example' } });
    expect(forged.status).toBe(403);
    expect((await getConversation(guest, id)).id).toBe(id);
  });
});

describe('another session', () => {
  it('gets 404 for every read, write, stream, cancel and delete of a conversation it does not own, and changes nothing', async () => {
    const id = await newConversation(owner);
    const running = await postPrompt(owner, id, 'tell me about herons, at length please?');
    expect(running.status).toBe(200);
    const answer = readRun(running);

    const attempts: [string, () => Promise<Response>][] = [
      ['read', () => stranger.fetch(`/api/conversations/${id}`)],
      ['prompt', () => postPrompt(stranger, id, 'mine now?')],
      ['stream', () => stranger.fetch(`/api/conversations/${id}/stream`)],
      ['cancel', () => stranger.fetch(`/api/conversations/${id}/cancel`, { method: 'POST' })],
      ['delete', () => stranger.fetch(`/api/conversations/${id}`, { method: 'DELETE' })],
    ];
    // While the owner's answer is being written, and again once it is stored.
    for (const phase of ['running', 'idle']) {
      for (const [what, attempt] of attempts) {
        const response = await attempt();
        expect([phase, what, response.status]).toEqual([phase, what, 404]);
        expect(await errorCode(response)).toBe('not_found');
      }
      if (phase === 'running') expect((await answer).events.at(-1)?.event.type).toBe('done');
    }

    const listed = ConversationListSchema.parse(await (await stranger.fetch('/api/conversations')).json());
    expect(listed.conversations.map((c) => c.id)).not.toContain(id);
    const stored = await getConversation(owner, id);
    expect(stored.messages.map((m) => [m.role, m.status])).toEqual([
      ['user', 'complete'],
      ['assistant', 'complete'],
    ]);
  });

  it('does not see it rendered: the page is a 404 and the sidebar does not list it', async () => {
    const id = await newConversation(owner);
    await runPrompt(owner, id, 'a title only the owner may read?');
    const page = (client: ApiClient, path: string) => client.fetch(path);

    const mine = await page(owner, `/c/${id}`);
    expect(mine.status).toBe(200);
    expect(await mine.text()).toContain('a title only the owner may read?');

    const trace = await page(owner, `/c/${id}/trace`);
    expect(trace.status).toBe(200);
    expect(await trace.text()).toContain('data-step="decide_mode"');
    expect((await page(stranger, `/c/${id}/trace`)).status).toBe(404);
    expect((await stranger.fetch(`/api/conversations/${id}/runs`)).status).toBe(404);

    const theirs = await page(stranger, `/c/${id}`);
    expect(theirs.status).toBe(404);
    expect(await theirs.text()).not.toContain('a title only the owner may read?');
    const home = await (await page(stranger, '/')).text();
    expect(home).not.toContain(id);
    expect(home).not.toContain('a title only the owner may read?');
    // No session at all: the same.
    expect((await fetch(`${app.url}/c/${id}`)).status).toBe(404);
  });
});

describe('the rate limit on runs', () => {
  it(`lets a session start ${RATE_LIMIT_RUNS} runs a window, then answers 429 rate_limited with Retry-After`, async () => {
    const visitor = createClient(app.url);
    const ids = await Promise.all(Array.from({ length: RATE_LIMIT_RUNS + 3 }, () => newConversation(visitor)));
    // All at once: the count is taken in the store, atomically.
    const responses = await Promise.all(ids.map((id) => postPrompt(visitor, id, 'how do tides work?')));
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(RATE_LIMIT_RUNS);
    expect(statuses.filter((s) => s === 429)).toHaveLength(3);
    for (const response of responses) {
      if (response.status === 200) {
        expect((await readRun(response)).events.at(-1)?.event.type).toBe('done');
        continue;
      }
      const { error } = ErrorBodySchema.parse(await response.json());
      expect(error.code).toBe('rate_limited');
      const retryAfter = Number(response.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      // The page shows the message: it says when to try again.
      expect(error.message).toContain(`${retryAfter} s`);
    }
    // The refused prompts lost nothing and wedged nothing: those conversations are empty and idle.
    const refused = ids.filter((_, n) => responses[n]!.status === 429);
    for (const id of refused) {
      expect((await getConversation(visitor, id)).messages).toEqual([]);
      expect((await visitor.fetch(`/api/conversations/${id}/stream`)).status).toBe(204);
    }
    // Other sessions have windows of their own.
    const other = createClient(app.url);
    const otherId = await newConversation(other);
    expect((await runPrompt(other, otherId, 'still fine for me?')).events.at(-1)?.event.type).toBe('done');
  });
});
