import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StreamEvent } from '@/lib/contract';
import { readStreamEvents, type ReceivedEvent } from '@/lib/stream/read-sse';
import { startMockUpstream, type MockUpstream } from '../mock-upstream/server';
import { startApp, type AppServer } from '../helpers/app-server';
import { createClient, getConversation, newConversation, ofType, postPrompt, runPrompt, type ApiClient } from '../helpers/api-client';
import { createScratchDatabase, explainSkippedPostgres, POSTGRES_URL } from '../helpers/postgres';
import { explainSkippedRedis, REDIS_URL } from '../helpers/redis';

explainSkippedPostgres();
explainSkippedRedis();

const words = (count: number) => Array.from({ length: count }, (_, i) => `w${i}`).join(' ');
const LEASE_MS = 1000;

/** Reads a stream until `stop` says so (then leaves it), or to its end. */
async function readUntil(body: ReadableStream<Uint8Array>, stop: (events: ReceivedEvent[]) => boolean = () => false) {
  const events: ReceivedEvent[] = [];
  for await (const received of readStreamEvents(body)) {
    events.push(received);
    if (stop(events)) break;
  }
  return events;
}

/** What every instance of a test is started with: the mock upstream, one database, the machine's Redis. */
const instanceEnv = (mock: MockUpstream, databaseUrl: string, more: Record<string, string> = {}) => ({
  OPENAI_BASE_URL: mock.baseURL,
  OPENAI_API_KEY: 'test-key',
  CHAT_MODEL: 'mock-chat',
  DATABASE_URL: databaseUrl,
  REDIS_URL: REDIS_URL!,
  ...more,
});

const deltaCount = (events: ReceivedEvent[]) => events.filter((e) => e.event.type === 'delta').length;
const textOf = (events: ReceivedEvent[]) => ofType(events, 'delta').map((e) => e.value).join('');

describe.runIf(POSTGRES_URL && REDIS_URL)('two instances sharing PostgreSQL and Redis', () => {
  let mock: MockUpstream;
  let drop = async () => {};
  let a: AppServer;
  let b: AppServer;
  /** One visitor, whose requests reach either instance (as behind a load balancer). */
  let onA: ApiClient;
  let onB: ApiClient;

  beforeAll(async () => {
    mock = await startMockUpstream();
    const scratch = await createScratchDatabase(POSTGRES_URL!);
    drop = scratch.drop;
    const env = instanceEnv(mock, scratch.url, { RUN_LEASE_MS: String(LEASE_MS) });
    // Started together: they take turns at the migrations.
    [a, b] = await Promise.all([startApp(env), startApp(env)]);
    onA = createClient(a.url);
    onB = createClient(b.url, onA.cookie.split('=')[1]);
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await mock?.close();
    await drop();
  });

  it('follows a run started on A from B: the same ids, replayed after Last-Event-ID with no gap and no duplicate', async () => {
    const id = await newConversation(onA);
    const response = await postPrompt(onA, id, `a story? [slow:40][reply:${words(40)}]`);
    const onAEvents = readUntil(response.body!);
    // B joins mid-run, once from the start and once as a reader that had seen up to event 5.
    const fromStart = await onB.fetch(`/api/conversations/${id}/stream`);
    const afterFive = await onB.fetch(`/api/conversations/${id}/stream`, { headers: { 'Last-Event-ID': '5' } });
    expect([fromStart.status, afterFive.status]).toEqual([200, 200]);
    // A page B renders now says the answer is being written (the chat page then follows it from B).
    const page = await onB.fetch(`/c/${id}`);
    expect(await page.text()).toContain('data-running="true"');
    const [all, replayed, resumed] = await Promise.all([onAEvents, readUntil(fromStart.body!), readUntil(afterFive.body!)]);

    const ids = all.map((e) => Number(e.id));
    expect(ids).toEqual(ids.map((_, n) => n + 1));
    expect(replayed).toEqual(all);
    expect(resumed).toEqual(all.slice(5));
    const done = ofType(all, 'done')[0]!.value;
    expect(done.content).toBe(words(40));
    expect((await getConversation(onB, id)).messages.at(-1)).toEqual(done);
    // Over: B answers 204 as one instance does, and its page shows the stored answer only.
    expect((await onB.fetch(`/api/conversations/${id}/stream`)).status).toBe(204);
    expect(await (await onB.fetch(`/c/${id}`)).text()).not.toContain('data-running="true"');
  });

  it('takes exactly one of two prompts sent to one conversation on A and on B at once', async () => {
    const id = await newConversation(onA);
    const responses = await Promise.all([postPrompt(onA, id, 'first? [reply:one]'), postPrompt(onB, id, 'second? [reply:two]')]);
    expect(responses.map((r) => r.status).sort()).toEqual([200, 409]);
    await Promise.all(responses.map((r) => (r.status === 200 ? readUntil(r.body!) : r.text())));
    const { messages } = await getConversation(onB, id);
    expect(messages.map((m) => m.role)).toEqual(['user', 'assistant']);
  });

  it('stops from B a run producing on A: the model call ends and the partial answer is stored as interrupted', async () => {
    const id = await newConversation(onA);
    const reply = words(60);
    const response = await postPrompt(onA, id, `a long one? [slow:100][reply:${reply}]`);
    const before = await readUntil(response.body!, (events) => deltaCount(events) >= 3);
    const cancel = await onB.fetch(`/api/conversations/${id}/cancel`, { method: 'POST' });
    expect(cancel.status).toBe(202);
    // The rest of the stream, read by B (A's own reader was left above).
    const stream = await onB.fetch(`/api/conversations/${id}/stream`, { headers: { 'Last-Event-ID': String(before.at(-1)!.id) } });
    const after = stream.status === 200 ? await readUntil(stream.body!) : [];
    const { messages } = await getConversation(onB, id);
    const stored = messages.at(-1)!;
    expect(stored.status).toBe('interrupted');
    // A token every 100 ms: a stop that took more than about half a second would have let many more through.
    expect(stored.content.split(' ').length).toBeLessThan(3 + 8);
    expect(reply.startsWith(stored.content)).toBe(true);
    if (after.length > 0) expect(ofType(after, 'done')[0]?.value).toEqual(stored);
    await expect.poll(() => mock.chatRequests().at(-1)?.closedByClient).toBe(true);
  });

  it('tells a stranger on B nothing of a run producing on A: following or stopping it is a 404, and it goes on', async () => {
    const id = await newConversation(onA);
    const reply = words(20);
    const response = await postPrompt(onA, id, `mine? [slow:40][reply:${reply}]`);
    const reading = readUntil(response.body!);
    const stranger = createClient(b.url);
    expect((await stranger.fetch(`/api/conversations/${id}/stream`)).status).toBe(404);
    expect((await stranger.fetch(`/api/conversations/${id}/cancel`, { method: 'POST' })).status).toBe(404);
    const events = await reading;
    expect(ofType(events, 'done')[0]?.value).toMatchObject({ status: 'complete', content: reply });
  });

  it('deletes on B a conversation whose run is producing on A: the run is stopped first, then nothing of it is left', async () => {
    const id = await newConversation(onA);
    const response = await postPrompt(onA, id, `a long one? [slow:100][reply:${words(60)}]`);
    await readUntil(response.body!, (events) => deltaCount(events) >= 2);
    const deleted = await onB.fetch(`/api/conversations/${id}`, { method: 'DELETE' });
    expect(deleted.status).toBe(204);
    await expect.poll(() => mock.chatRequests().at(-1)?.closedByClient).toBe(true);
    expect((await onA.fetch(`/api/conversations/${id}`)).status).toBe(404);
    expect((await onB.fetch(`/api/conversations/${id}/stream`)).status).toBe(404);
  });

  it('when A is killed mid-run with no reader anywhere, the next prompt on B closes the lost run once its lease lapses', async () => {
    const id = await newConversation(onA);
    const reply = words(80);
    const response = await postPrompt(onA, id, `a long one? [slow:80][reply:${reply}]`);
    const seenOnA = await readUntil(response.body!, (events) => deltaCount(events) >= 5);
    await a.crash();
    // Within the lease the run still counts as running; once it lapses, the prompt closes it and starts.
    let next: Response | undefined;
    await expect
      .poll(
        async () => {
          next = await postPrompt(onB, id, 'are you still there? [reply:yes]');
          if (next.status !== 200) await next.text();
          return next.status;
        },
        { timeout: LEASE_MS * 8, interval: 250 },
      )
      .toBe(200);
    await readUntil(next!.body!);
    const { messages } = await getConversation(onB, id);
    expect(messages.map((m) => [m.role, m.status])).toEqual([
      ['user', 'complete'],
      ['assistant', 'interrupted'],
      ['user', 'complete'],
      ['assistant', 'complete'],
    ]);
    // What A had written reached Redis before A died: at least what its reader saw, never more than the answer.
    const lost = messages[1]!.content;
    expect(lost.startsWith(textOf(seenOnA))).toBe(true);
    expect(reply.startsWith(lost)).toBe(true);
    await a.restart();
  });

  it('when A is killed mid-run, a reader on B gets all A produced, then producer_lost, and finds it stored; B takes the next prompt', async () => {
    const id = await newConversation(onA);
    await postPrompt(onA, id, `a long one? [slow:80][reply:${words(80)}]`);
    const reading = await onB.fetch(`/api/conversations/${id}/stream`);
    expect(reading.status).toBe(200);
    const seenOnB: ReceivedEvent[] = [];
    let killed: Promise<void> | null = null;
    let killedAt = 0;
    for await (const received of readStreamEvents(reading.body!)) {
      seenOnB.push(received);
      if (!killed && deltaCount(seenOnB) >= 10) {
        killedAt = performance.now();
        killed = a.crash();
      }
    }
    await killed;
    const lostAfterMs = performance.now() - killedAt;
    const ids = seenOnB.map((e) => Number(e.id));
    expect(ids).toEqual(ids.map((_, n) => n + 1));
    const last: StreamEvent = seenOnB.at(-1)!.event;
    expect(last).toMatchObject({ type: 'error', value: { code: 'producer_lost' } });
    // Declared once the lease lapsed: a lease, a renewal's slack and one blocking read (generous on a busy machine).
    expect(lostAfterMs).toBeLessThan(LEASE_MS * 4);

    const { messages } = await getConversation(onB, id);
    expect(messages.map((m) => [m.role, m.status])).toEqual([
      ['user', 'complete'],
      ['assistant', 'interrupted'],
    ]);
    expect(messages.at(-1)!.content).toBe(textOf(seenOnB));
    expect(deltaCount(seenOnB)).toBeGreaterThanOrEqual(10);

    const next = await runPrompt(onB, id, 'and now? [reply:still here]');
    expect(ofType(next.events, 'done')[0]?.value.content).toBe('still here');
    await a.restart();
  });
});

describe.runIf(POSTGRES_URL && REDIS_URL)('two instances with a lease of a minute and a small rate limit', () => {
  let mock: MockUpstream;
  let drop = async () => {};
  let servers: AppServer[] = [];

  beforeAll(async () => {
    mock = await startMockUpstream();
    const scratch = await createScratchDatabase(POSTGRES_URL!);
    drop = scratch.drop;
    // A lease renewed only every 15 s: a stop that reaches its run sooner came over the stop channel.
    const env = instanceEnv(mock, scratch.url, { RATE_LIMIT_RUNS: '3', RATE_LIMIT_WINDOW_S: '60', RUN_LEASE_MS: '60000' });
    servers = await Promise.all([startApp(env), startApp(env)]);
  });
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop()));
    await mock?.close();
    await drop();
  });

  it('counts one session\'s runs on both together: the fourth prompt is refused on whichever instance it reaches', async () => {
    const [a, b] = servers as [AppServer, AppServer];
    const onA = createClient(a.url);
    const onB = createClient(b.url, onA.cookie.split('=')[1]);
    const visitor = [onA, onB, onA, onB];
    const ids = await Promise.all(visitor.map((client) => newConversation(client)));
    const statuses: number[] = [];
    for (const [n, client] of visitor.entries()) {
      const response = await postPrompt(client, ids[n]!, `prompt ${n}? [reply:ok]`);
      statuses.push(response.status);
      if (response.status === 200) await readUntil(response.body!);
      else expect((await response.json()).error.code).toBe('rate_limited');
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
  });

  it('carries a stop pressed on B to the run on A over the stop channel, not at its next lease renewal', async () => {
    const [a, b] = servers as [AppServer, AppServer];
    const onA = createClient(a.url);
    const onB = createClient(b.url, onA.cookie.split('=')[1]);
    const id = await newConversation(onA);
    const response = await postPrompt(onA, id, `a long one? [slow:100][reply:${words(100)}]`);
    await readUntil(response.body!, (events) => deltaCount(events) >= 2);
    expect((await onB.fetch(`/api/conversations/${id}/cancel`, { method: 'POST' })).status).toBe(202);
    // Far sooner than the renewal 15 s away would bring it.
    await expect.poll(() => mock.chatRequests().at(-1)?.closedByClient, { timeout: 3000 }).toBe(true);
    await expect.poll(async () => (await getConversation(onB, id)).messages.at(-1)?.status, { timeout: 3000 }).toBe('interrupted');
  });
});
