import { createClient, SESSION_COOKIE, type ApiClient } from './api-client';

/** The cookies one site set, as a browser would send them back (paths are not told apart: each test is short). */
class CookieJar {
  private readonly values = new Map<string, string>();

  take(response: Response) {
    for (const header of response.headers.getSetCookie()) {
      const [pair = ''] = header.split(';');
      const at = pair.indexOf('=');
      const name = pair.slice(0, at).trim();
      const value = pair.slice(at + 1).trim();
      const expired = /max-age=0|expires=thu, 01 jan 1970/i.test(header);
      if (expired || value === '') this.values.delete(name);
      else this.values.set(name, value);
    }
  }

  get(name: string) {
    return this.values.get(name);
  }

  header() {
    return [...this.values].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}

export type SignInOptions = {
  /** Changes the `state` the provider sends back, as an attacker in the middle would. */
  tamperState?: boolean;
  /** Leaves out the `iss` the provider adds to its answer (RFC 9207), so only the ID token says who issued it. */
  dropIssParameter?: boolean;
};

/**
 * Signs `client` in through the provider, over HTTP as a browser would: the app's sign-in redirect, the provider's
 * login and consent forms (any login), and the app's callback. Returns the callback's response and the client as
 * the browser is then (its session cookie replaced when the callback set a new one).
 */
export async function signInThroughProvider(
  client: ApiClient,
  login: string,
  options: SignInOptions = {},
): Promise<{ callback: Response; client: ApiClient }> {
  const app = new CookieJar();
  app.take(new Response(null, { headers: { 'Set-Cookie': client.cookie } }));
  const provider = new CookieJar();
  const start = await fetch(`${client.url}/api/auth/signin/oidc?returnTo=/`, { headers: { cookie: app.header() }, redirect: 'manual' });
  if (start.status !== 302) throw new Error(`sign-in did not redirect: ${start.status} ${await start.text()}`);
  app.take(start);

  let next = new URL(start.headers.get('location')!);
  let body: URLSearchParams | undefined;
  for (let hop = 0; hop < 20; hop++) {
    if (next.origin === client.url) break;
    const response = await fetch(next, {
      method: body ? 'POST' : 'GET',
      headers: { cookie: provider.header(), ...(body ? { 'Content-Type': 'application/x-www-form-urlencoded' } : {}) },
      body,
      redirect: 'manual',
    });
    provider.take(response);
    body = undefined;
    const location = response.headers.get('location');
    if (location) {
      next = new URL(location, next);
      continue;
    }
    const html = await response.text();
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
    const prompt = /name="prompt" value="(\w+)"/.exec(html)?.[1];
    if (!action || !prompt) throw new Error(`the provider showed no form (${response.status}): ${html.slice(0, 300)}`);
    next = new URL(action, next);
    body = new URLSearchParams(prompt === 'login' ? { prompt, login, password: 'any' } : { prompt });
  }
  if (options.tamperState) next.searchParams.set('state', `${next.searchParams.get('state')}x`);
  if (options.dropIssParameter) next.searchParams.delete('iss');
  const callback = await fetch(next, { headers: { cookie: app.header() }, redirect: 'manual' });
  app.take(callback);
  return { callback, client: createClient(client.url, app.get(SESSION_COOKIE)) };
}
