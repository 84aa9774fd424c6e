import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readStreamEvents, type ReceivedEvent } from '@/lib/stream/read-sse';
import { startMockUpstream, type MockUpstream } from '../mock-upstream/server';
import { startApp, type AppServer } from '../helpers/app-server';
import { createClient, getConversation, newConversation, ofType, postPrompt, runPrompt, type ApiClient } from '../helpers/api-client';
import { createScratchDatabase, explainSkippedPostgres, POSTGRES_URL } from '../helpers/postgres';
import { startOwnRedis } from '../helpers/redis';

explainSkippedPostgres();

const words = (count: number) => Array.from({ length: count }, (_, i) => `w${i}`).join(' ');

describe.runIf(POSTGRES_URL)('an instance whose Redis goes away mid-run (a redis-server of the test’s own)', () => {
  let mock: MockUpstream;
  let drop = async () => {};
  let redis: Awaited<ReturnType<typeof startOwnRedis>> = null;
  let app: AppServer;
  let api: ApiClient;

  beforeAll(async () => {
    redis = await startOwnRedis();
    if (!redis) {
      console.warn('[tests] redis-server is not installed: the test of losing Redis mid-run is skipped.');
      return;
    }
    mock = await startMockUpstream();
    const scratch = await createScratchDatabase(POSTGRES_URL!);
    drop = scratch.drop;
    app = await startApp({
      OPENAI_BASE_URL: mock.baseURL,
      OPENAI_API_KEY: 'test-key',
      CHAT_MODEL: 'mock-chat',
      DATABASE_URL: scratch.url,
      REDIS_URL: redis.url,
      RUN_LEASE_MS: '1000',
    });
    api = createClient(app.url);
  });
  afterAll(async () => {
    await app?.stop();
    await mock?.close();
    await redis?.stop();
    await drop();
  });

  it('ends the run with stream_unavailable and stores its answer, refuses prompts with 503 meanwhile, and works once Redis is back', async ({ skip }) => {
    if (!redis) return skip();
    const id = await newConversation(api);
    const response = await postPrompt(api, id, `a long one? [slow:100][reply:${words(60)}]`);
    const events: ReceivedEvent[] = [];
    let stopped = false;
    for await (const received of readStreamEvents(response.body!)) {
      events.push(received);
      if (!stopped && ofType(events, 'delta').length >= 3) {
        stopped = true;
        await redis.stop();
      }
    }
    // The stream ended (no hang) with an error naming the cause.
    expect(events.at(-1)?.event).toMatchObject({ type: 'error', value: { code: 'stream_unavailable' } });
    await expect
      .poll(async () => (await getConversation(api, id)).messages.map((m) => [m.role, m.status]))
      .toEqual([
        ['user', 'complete'],
        ['assistant', 'interrupted'],
      ]);
    const stored = (await getConversation(api, id)).messages.at(-1)!;
    expect(words(60).startsWith(stored.content)).toBe(true);
    expect(stored.content.startsWith(ofType(events, 'delta').map((e) => e.value).join(''))).toBe(true);

    // While Redis is away a prompt is refused at once, nothing half-started: the prompt can be sent again.
    const refused = await postPrompt(api, id, 'are you there? [reply:yes]');
    expect(refused.status).toBe(503);
    expect((await refused.json()).error.code).toBe('stream_unavailable');
    expect((await getConversation(api, id)).messages).toHaveLength(2);

    await redis.start();
    await expect
      .poll(async () => (await postPrompt(api, id, 'are you there? [reply:yes]')).status, { timeout: 15_000, interval: 500 })
      .not.toBe(503);
    // The poll's successful prompt ran; the conversation holds it and takes the next.
    await expect.poll(async () => (await getConversation(api, id)).messages.length).toBe(4);
    const next = await runPrompt(api, id, 'and again? [reply:still here]');
    expect(ofType(next.events, 'done')[0]?.value.content).toBe('still here');
  });
});
