import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '@/lib/db/client';
import { readStreamEvents } from '@/lib/stream/read-sse';
import { startMockUpstream, type MockUpstream } from '../mock-upstream/server';
import { startApp } from '../helpers/app-server';
import { createClient, getConversation, newConversation, ofType, postPrompt, runPrompt } from '../helpers/api-client';
import { createScratchDatabase, explainSkippedPostgres, POSTGRES_URL } from '../helpers/postgres';
import { listRuns } from '../helpers/store-queries';

let mock: MockUpstream;
beforeAll(async () => {
  mock = await startMockUpstream();
});
afterAll(() => mock?.close());

explainSkippedPostgres();
const stores = ['PGlite', ...(POSTGRES_URL ? ['PostgreSQL'] : [])];
const words = Array.from({ length: 60 }, (_, i) => `w${i}`).join(' ');

describe.each(stores)('a server killed mid-answer, on %s', (storeName) => {
  it('loses no message: each answer is stored with the text it had as interrupted, no run stays running', async () => {
    const scratch = storeName === 'PostgreSQL' ? await createScratchDatabase(POSTGRES_URL!) : undefined;
    const server = await startApp({
      OPENAI_BASE_URL: mock.baseURL,
      OPENAI_API_KEY: 'test-key',
      CHAT_MODEL: 'mock-chat',
      ...(scratch ? { DATABASE_URL: scratch.url } : {}),
    });
    const serverApi = createClient(server.url);
    try {
      const ids = await Promise.all([1, 2, 3].map(() => newConversation(serverApi)));
      for (const id of ids) await runPrompt(serverApi, id, 'a first question? [reply:a first answer]');
      // Three answers streaming, each long enough to have been saved at least once.
      const prompts = ids.map((_, n) => `tell me a long story ${n}? [slow:100][reply:${words}]`);
      const readers = await Promise.all(ids.map((id, n) => postPrompt(serverApi, id, prompts[n]!)));
      await Promise.all(
        readers.map(async (response) => {
          let deltas = 0;
          for await (const { event } of readStreamEvents(response.body!)) {
            if (event.type === 'delta' && ++deltas === 15) break;
          }
        }),
      );
      await server.crash();
      await server.restart();

      for (const [n, id] of ids.entries()) {
        const { messages } = await getConversation(serverApi, id);
        expect(messages.map((m) => [m.role, m.status])).toEqual([
          ['user', 'complete'],
          ['assistant', 'complete'],
          ['user', 'complete'],
          ['assistant', 'interrupted'],
        ]);
        expect(messages[2]!.content).toBe(prompts[n]);
        const partial = messages[3]!.content;
        expect(partial.length).toBeGreaterThan(0);
        expect(words.startsWith(partial)).toBe(true);
        expect((await serverApi.fetch(`/api/conversations/${id}/stream`)).status).toBe(204);
        // The conversation goes on, and the model sees the interrupted turn in its history.
        const next = await runPrompt(serverApi, id, 'and then? [reply:the end]');
        expect(ofType(next.events, 'done')[0]!.value.content).toBe('the end');
        const sent = mock.chatRequests().at(-1)!.body.messages as { role: string; content: string }[];
        expect(sent.map((m) => m.content)).toContain(prompts[n]);
      }

      if (scratch) {
        const client = new pg.Client({ connectionString: scratch.url });
        await client.connect();
        const { rows } = await client.query("select count(*)::int as running from runs where status = 'running'");
        await client.end();
        expect(rows[0].running).toBe(0);
      } else {
        // Killed again, the embedded data directory still opens as it is, with no run left running.
        await server.crash();
        const store = await openStore({ dataDir: server.dataDir });
        try {
          for (const id of ids) expect((await listRuns(store.db, id)).map((r) => r.status)).not.toContain('running');
        } finally {
          await store.close();
        }
      }
    } finally {
      await server.stop();
      await scratch?.drop();
    }
  }, 90_000);
});
