import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentMachine } from '@/lib/agent/machine';
import { machineGraph, transitionLabel } from '@/lib/inspector/machine-graph';
import { startApp, type AppServer } from '../helpers/app-server';
import { type ApiClient, createClient, newConversation, runPrompt } from '../helpers/api-client';

let app: AppServer;
let api: ApiClient;

beforeAll(async () => {
  app = await startApp({ DEMO_TOKEN_DELAY_MS: '1' });
  api = createClient(app.url);
});
afterAll(() => app?.stop());

/**
 * What a client without JavaScript gets: the server-rendered HTML alone. `body` is its markup without the scripts,
 * so a text found there is on the page, not only in the React payload that hydrates it.
 */
const html = async (path: string) => {
  const response = await api.fetch(path);
  const source = await response.text();
  return { status: response.status, body: source.replace(/<script\b[^>]*>[\s\S]*?<\/script>/gi, '') };
};

describe('server-rendered pages', () => {
  it('renders a conversation\'s history into the HTML, and lists it in the sidebar', async () => {
    const id = await newConversation(api);
    await runPrompt(api, id, 'Write a poem about the tide');
    await runPrompt(api, id, 'How deep is the ocean?');
    const page = await html(`/c/${id}`);
    expect(page.status).toBe(200);
    expect(page.body).toMatch(/data-role="user"[^>]*>Write a poem about the tide</);
    expect(page.body).toMatch(/data-role="user"[^>]*>How deep is the ocean\?</);
    // the answers' Markdown rendered into the markup
    expect(page.body).toMatch(/data-role="assistant"[\s\S]*No model hums behind this screen/);
    expect(page.body).toContain(`href="/c/${id}"`);
    // titled by the (demo) model from the first prompt
    expect(page.body).toContain('<title>Poem about the tide · Sluice</title>');
  });

  it('says on the page that the demo model is answering, and how to configure a real one', async () => {
    const page = await html('/');
    expect(page.status).toBe(200);
    expect(page.body).toContain('Demo model.');
    expect(page.body).toContain('OPENAI_API_KEY');
    expect(page.body).toContain('OPENAI_BASE_URL');
    expect(page.body).toContain('The demo model does not see images or read attached files.');
  });

  it('draws the machine on /inspect from its definition: every state, every transition, on the server', async () => {
    const page = await html('/inspect');
    expect(page.status).toBe(200);
    const graph = machineGraph(agentMachine);
    for (const node of graph.nodes) expect(page.body).toContain(`data-state="${node.id}"`);
    // Every transition is drawn (those between the same two states share one arrow).
    for (const edge of graph.edges) expect(page.body).toContain(transitionLabel(edge));
    expect(page.body).toContain('<svg');
    // Nothing runs for a visitor without a conversation: the machine rests in prompt.
    expect(page.body).toMatch(/data-state="agent\.prompt" data-active="true"/);
  });

  it('answers 404 for a conversation that does not exist', async () => {
    expect((await html('/c/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await html('/c/not-an-id')).status).toBe(404);
  });

  it('sends every page with a nonce-based Content-Security-Policy that its own scripts carry, new on each request', async () => {
    const id = await newConversation(api);
    const nonces: string[] = [];
    for (const path of ['/', `/c/${id}`]) {
      const response = await api.fetch(path);
      const policy = response.headers.get('content-security-policy') ?? '';
      const directives = Object.fromEntries(policy.split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name, values]));
      const nonce = /'nonce-([^']+)'/.exec(policy)?.[1];
      expect(nonce).toBeTruthy();
      nonces.push(nonce!);
      expect(directives['script-src']).not.toContain("'unsafe-inline'");
      expect(directives['script-src']).not.toContain("'unsafe-eval'");
      expect(directives['frame-ancestors']).toEqual(["'none'"]);
      expect(directives['object-src']).toEqual(["'none'"]);
      const body = await response.text();
      const scripts = [...body.matchAll(/<script\b[^>]*>/g)].map((m) => m[0]);
      expect(scripts.length).toBeGreaterThan(0);
      // every script tag the page carries is allowed by the nonce, and only by it
      for (const tag of scripts) expect(tag).toContain(`nonce="${nonce}"`);
    }
    expect(new Set(nonces).size).toBe(nonces.length);
  });

  it('sends nosniff, a referrer policy and no framing on pages and API responses alike', async () => {
    for (const path of ['/', '/api/health', '/api/conversations']) {
      const response = await api.fetch(path);
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('referrer-policy')).toBe('strict-origin-when-cross-origin');
      expect(response.headers.get('x-frame-options')).toBe('DENY');
    }
  });
});
