import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type AppServer } from '../helpers/app-server';
import { type ApiClient, createClient, newConversation, runPrompt } from '../helpers/api-client';

let app: AppServer;
let api: ApiClient;
beforeAll(async () => {
  // A new data directory: the first start is the one that creates it.
  app = await startApp({ DEMO_TOKEN_DELAY_MS: '1' });
  api = createClient(app.url);
});
afterAll(() => app?.stop());

describe('the embedded store', () => {
  // Creating a data directory in the server process leaves ~800 MB resident for good, and PGlite's default
  // buffers add ~135 MB; the budget is 300 MB (bench/run-overhead.ts measures it), with room here for noise.
  it('fits a small Node host: the server stays under 400 MB resident after its first start and a chat', async () => {
    const id = await newConversation(api);
    const { events } = await runPrompt(api, id, 'what is a heron?');
    expect(events.at(-1)?.event.type).toBe('done');
    expect(await app.residentMb()).toBeLessThan(400);
  });
});
