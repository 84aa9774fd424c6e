import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { forkConversation } from '@/lib/agent/fork-run';
import { cancelRun, findRun } from '@/lib/agent/run-lookup';
import { createRunService, type RunService } from '@/lib/agent/run-service';
import { startRun } from '@/lib/agent/start-run';
import { createRunRegistry } from '@/lib/agent/run-registry';
import { openStore, type Db, type Store } from '@/lib/db/client';
import { insertConversation } from '@/lib/db/queries/conversations';
import { listMessages } from '@/lib/db/queries/messages';
import { createDemoModel } from '@/lib/llm/demo-model';
import { RESPONSE_PROMPTS, ROUTER_PROMPT } from '@/lib/llm/prompts';
import { holdStatements } from '../helpers/held-store';
import { demoModels, follow } from '../helpers/run-fixtures';
import { listRuns, listRunSteps } from '../helpers/store-queries';

let store: Store;
beforeAll(async () => {
  store = await openStore({ dataDir: 'memory://' });
});
afterAll(async () => store?.close());

/** The session these runs are started for. */
const OWNER = 'owner-of-the-test-conversations';

const serviceOn = (db: Db, models = demoModels(), quota = { runs: 1000, windowS: 60 }, preSteps?: 'parallel' | 'sequential') =>
  createRunService({ db, models, registry: createRunRegistry(), quota, preSteps });

async function newConversation(ownerId = OWNER) {
  const id = crypto.randomUUID();
  await insertConversation(store.db, { id, ownerId });
  return id;
}

describe('the run service', () => {
  it('stores the user message before any step runs, and the answer, run and trace before done', async () => {
    const id = await newConversation();
    const service = serviceOn(store.db);
    const checks: Promise<unknown>[] = [];
    const run = await startRun(service, id, OWNER, 'write a poem about herons');
    const { closed } = follow(run, (event) => {
      if (event.type === 'step' && event.value.status === 'started' && event.value.name === 'check_safety') {
        checks.push(listMessages(store.db, id).then((items) => expect(items.map((m) => m.role)).toEqual(['user'])));
      }
    });
    const events = await closed;
    await Promise.all(checks);
    expect(checks).toHaveLength(1);
    const done = events.at(-1);
    expect(done?.type).toBe('done');

    const items = await listMessages(store.db, id);
    expect(items.map((m) => m.role)).toEqual(['user', 'assistant']);
    expect(done?.value).toEqual(items[1]);
    const [stored] = await listRuns(store.db, id);
    expect(stored).toMatchObject({ id: run.id, status: 'complete', mode: 'generate_poem', prompt: 'write a poem about herons' });
    const steps = await listRunSteps(store.db, run.id);
    expect(steps.map((s) => [s.seq, s.name, s.status])).toEqual([
      [1, 'check_safety', 'completed'],
      [2, 'decide_mode', 'completed'],
      [3, 'generate_poem', 'completed'],
    ]);
    const byName = Object.fromEntries(steps.map((s) => [s.name, s]));
    expect(byName.check_safety?.output).toEqual({ safe: true });
    expect(byName.decide_mode?.output).toEqual({ mode: 'generate_poem' });
    // A step that calls no model keeps what it began from; a model-answering one, the request it sent.
    expect(byName.check_safety?.input).toEqual({ prompt: 'write a poem about herons' });
    expect(byName.generate_poem?.input).toMatchObject({
      model: 'sluice-demo',
      messages: [{ role: 'system', content: RESPONSE_PROMPTS.generate_poem }, { role: 'user', content: 'write a poem about herons' }],
    });
    expect(byName.decide_mode?.input).toMatchObject({ messages: [{ role: 'system', content: ROUTER_PROMPT }, { role: 'user' }] });
    for (const name of ['decide_mode', 'generate_poem']) {
      const step = byName[name]!;
      expect(step.usage).toMatchObject({ estimated: true, input: expect.any(Number), output: expect.any(Number) });
      expect(step.firstTokenAt!.getTime()).toBeGreaterThanOrEqual(step.startedAt.getTime());
      expect(step.firstTokenAt!.getTime()).toBeLessThanOrEqual(step.endedAt!.getTime());
    }
    expect(byName.check_safety?.usage).toBeNull();
    expect(byName.generate_poem?.output).toEqual({ content: items[1]?.content });
    // the state after the response step is the resting state, holding the whole exchange
    expect(byName.generate_poem?.snapshot).toMatchObject({ value: 'prompt', context: { responseStep: 'generate_poem' } });
    expect((byName.generate_poem?.snapshot as { context: { history: unknown[] } }).context.history).toHaveLength(2);
    for (const step of steps) expect(step.endedAt!.getTime()).toBeGreaterThanOrEqual(step.startedAt.getTime());
  });

  it('streams while trace writes wait: deltas reach the log first, the trace is complete and ordered by done', async () => {
    const id = await newConversation();
    const slow = holdStatements(store.db, (sql) => sql.includes('"run_steps"'));
    const run = await startRun(serviceOn(slow.db), id, OWNER, 'what is a heron?');
    let deltasBeforeAnyTraceWrite = 0;
    let doneBeforeRelease = false;
    let released = false;
    let seen = 0;
    const { closed } = follow(run, (event) => {
      seen++;
      if (event.type === 'delta' && slow.held.length <= 1) deltasBeforeAnyTraceWrite++;
      if (event.type === 'done' && !released) doneBeforeRelease = true;
    });
    // The whole answer streams while the first trace write is held.
    await slow.firstArrival;
    const deltasSoFar = () => seen;
    await vi.waitFor(async () => expect((await listMessages(store.db, id)).length).toBe(1));
    const before = deltasSoFar();
    await vi.waitFor(() => expect(deltasSoFar()).toBeGreaterThan(before + 5), { timeout: 5_000 });
    expect(await listRunSteps(store.db, run.id)).toEqual([]);
    expect(doneBeforeRelease).toBe(false);
    released = true;
    slow.release();
    const events = await closed;
    expect(deltasBeforeAnyTraceWrite).toBeGreaterThan(5);
    expect(events.at(-1)?.type).toBe('done');
    const steps = await listRunSteps(store.db, run.id);
    expect(steps.map((s) => [s.seq, s.name, s.status])).toEqual([
      [1, 'check_safety', 'completed'],
      [2, 'decide_mode', 'completed'],
      [3, 'answer_question', 'completed'],
    ]);
  });

  it('PRE_STEPS=sequential decides the mode after the verdict, and not at all for a refused prompt', async () => {
    let modeCalls = 0;
    const demo = createDemoModel(1);
    const models = demoModels({ decideMode: (...args) => (modeCalls++, demo.decideMode(...args)) });
    const service = serviceOn(store.db, models, undefined, 'sequential');
    const id = await newConversation();
    const refused = await startRun(service, id, OWNER, 'something unsafe');
    await follow(refused).closed;
    expect((await listRunSteps(store.db, refused.id)).map((s) => s.name)).toEqual(['check_safety', 'unsafe_response']);
    expect(modeCalls).toBe(0);

    const answered = await startRun(service, id, OWNER, 'write a poem about herons');
    await follow(answered).closed;
    const steps = await listRunSteps(store.db, answered.id);
    expect(steps.map((s) => s.name)).toEqual(['check_safety', 'decide_mode', 'generate_poem']);
    expect(steps[1]!.startedAt.getTime()).toBeGreaterThanOrEqual(steps[0]!.endedAt!.getTime());
    expect(modeCalls).toBe(1);
  });

  it('sends done only once the answer is stored', async () => {
    const id = await newConversation();
    // The statement that stores the answer (and finishes the run).
    const slow = holdStatements(store.db, (sql) => sql.includes('with finished as'));
    const run = await startRun(serviceOn(slow.db), id, OWNER, 'what is a heron?');
    const { events, closed } = follow(run);
    await slow.firstArrival;
    // The answer has streamed and its insert is waiting: nothing may claim it is done.
    expect(events.some((e) => e.type === 'delta')).toBe(true);
    expect(events.map((e) => e.type)).not.toContain('done');
    expect((await listMessages(store.db, id)).map((m) => m.role)).toEqual(['user']);
    slow.release();
    await closed;
    const done = events.at(-1);
    expect(done?.type).toBe('done');
    expect((await listMessages(store.db, id)).at(-1)).toEqual(done?.value);
  });

  it('logs an unexpected failure inside a model call once, with its cause, and sends only internal_error', async () => {
    const id = await newConversation();
    const bug = new TypeError("Cannot read properties of undefined (reading 'choices')");
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const service = serviceOn(store.db, demoModels({ decideMode: async () => Promise.reject(bug) }));
      const run = await startRun(service, id, OWNER, 'what is a heron?');
      const events = await follow(run).closed;
      const error = events.at(-1);
      expect(error).toEqual({ type: 'error', value: { code: 'internal_error', message: 'Something went wrong on our side.' } });
      expect(JSON.stringify(events)).not.toContain('choices');
      const calls = logged.mock.calls.filter((args) => args.includes(bug));
      expect(calls).toHaveLength(1);
      expect(logged).toHaveBeenCalledTimes(1);
      const [stored] = await listRuns(store.db, id);
      expect(stored).toMatchObject({ status: 'error', error: { code: 'internal_error' } });
    } finally {
      logged.mockRestore();
    }
  });

  it('refuses a second run in the same conversation while one is in progress', async () => {
    const id = await newConversation();
    const service = serviceOn(store.db);
    const first = await startRun(service, id, OWNER, 'why is the sea salty?');
    await expect(startRun(service, id, OWNER, 'again?')).rejects.toMatchObject({ code: 'run_in_progress' });
    await first.finished;
    const second = await startRun(service, id, OWNER, 'again?');
    await second.finished;
    expect((await listMessages(store.db, id)).map((m) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant']);
  });

  it('tells an unknown conversation (404) from one with nothing running (409) when asked to cancel', async () => {
    const service = serviceOn(store.db);
    await expect(cancelRun(service, crypto.randomUUID(), OWNER)).rejects.toMatchObject({ code: 'not_found' });
    await expect(cancelRun(service, await newConversation(), OWNER)).rejects.toMatchObject({ code: 'no_run' });
  });

  it("answers a session that does not own the conversation as if it did not exist, and leaves the run alone", async () => {
    const id = await newConversation();
    const service = serviceOn(store.db);
    const run = await startRun(service, id, OWNER, 'why is the sea salty?');
    for (const attempt of [
      () => startRun(service, id, 'stranger', 'mine now?'),
      () => findRun(service, id, 'stranger'),
      () => cancelRun(service, id, 'stranger'),
    ]) {
      await expect(attempt()).rejects.toMatchObject({ code: 'not_found' });
    }
    expect(await findRun(service, id, OWNER)).toBe(run);
    const events = await follow(run).closed;
    expect(events.at(-1)?.type).toBe('done');
    await run.finished;
    // Nothing running: the owner hears "nothing runs", the stranger still "not found".
    expect(await findRun(service, id, OWNER)).toBeNull();
    await expect(findRun(service, id, 'stranger')).rejects.toMatchObject({ code: 'not_found' });
    await expect(startRun(service, id, 'stranger', 'now?')).rejects.toMatchObject({ code: 'not_found' });
    expect((await listMessages(store.db, id)).map((m) => m.content)).not.toContain('now?');
  });

  it('refuses a run past the session’s quota with rate_limited and when to try again', async () => {
    const service = serviceOn(store.db, demoModels(), { runs: 2, windowS: 60 });
    const owner = `owner-${crypto.randomUUID()}`;
    const [a, b, c] = [await newConversation(owner), await newConversation(owner), await newConversation(owner)];
    await (await startRun(service, a, owner, 'one?')).finished;
    await (await startRun(service, b, owner, 'two?')).finished;
    const error = await startRun(service, c, owner, 'three?').then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'rate_limited', status: 429, retryAfterS: expect.any(Number) });
    const { retryAfterS } = error as { retryAfterS: number };
    expect(retryAfterS).toBeGreaterThanOrEqual(1);
    expect(retryAfterS).toBeLessThanOrEqual(60);
    expect(await listMessages(store.db, c)).toEqual([]);
    // The refusal frees the conversation: it is not left reserved.
    await expect(cancelRun(service, c, owner)).rejects.toMatchObject({ code: 'no_run' });
  });

  it('sends the earlier messages as chat_history and gives them to the model', async () => {
    const id = await newConversation();
    const seen: string[][] = [];
    const service = serviceOn(
      store.db,
      demoModels({
        decideMode: async (history) => {
          seen.push(history.map((turn) => `${turn.role}:${turn.content}`));
          return 'answer_question';
        },
      }),
    );
    await (await startRun(service, id, OWNER, 'first?')).finished;
    const run = await startRun(service, id, OWNER, 'second?');
    const events = await follow(run).closed;
    const history = events[0];
    expect(history?.type).toBe('chat_history');
    expect(history?.type === 'chat_history' && history.value.map((m) => m.role)).toEqual(['user', 'assistant']);
    expect(seen[1]?.map((line) => line.split(':')[0])).toEqual(['user', 'assistant', 'user']);
    expect(seen[1]?.at(-1)).toBe('user:second?');
  });
});

describe('forking a conversation from a step of a run', () => {
  async function conversationWithTwoRuns(service: RunService) {
    const id = await newConversation();
    const first = await startRun(service, id, OWNER, 'write a poem about herons');
    await follow(first).closed;
    await first.finished;
    const second = await startRun(service, id, OWNER, 'how deep is the sea?');
    await follow(second).closed;
    await second.finished;
    return { id, first: first.id, second: second.id };
  }
  const contents = async (id: string) => (await listMessages(store.db, id)).map((m) => `${m.role}:${m.content.slice(0, 40)}`);

  it('at prompt, with a replacement: the earlier turns copied, the whole flow run on the new prompt, the original untouched', async () => {
    const service = serviceOn(store.db);
    const { id, second } = await conversationWithTwoRuns(service);
    const before = await listMessages(store.db, id);
    const { id: forkId, run } = await forkConversation(service, id, OWNER, { runId: second, step: 'prompt', prompt: 'write code for a sea chart' });
    const events = await follow(run!).closed;
    await run!.finished;
    expect(events.filter((e) => e.type === 'step' && e.value.status === 'started').map((e) => e.type === 'step' && e.value.name)).toEqual([
      'check_safety',
      'decide_mode',
      'generate_code',
    ]);
    const copied = await listMessages(store.db, forkId);
    expect(copied.map((m) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant']);
    expect(copied.slice(0, 2).map((m) => m.content)).toEqual(before.slice(0, 2).map((m) => m.content));
    expect(copied[2]?.content).toBe('write code for a sea chart');
    // copies are new messages, not the parent's, and carry no run of the parent
    expect(copied.some((m) => before.some((b) => b.id === m.id))).toBe(false);
    expect(copied[0]?.runId).toBeUndefined();
    expect(await listMessages(store.db, id)).toEqual(before);
    const [forkRow] = await store.db.execute(sql`select title, forked_from_conversation_id as parent, forked_from_run_id as run, forked_from_step as step from conversations where id = ${forkId}`).then((r) => (r as unknown as { rows: Record<string, unknown>[] }).rows);
    // the parent's title, as the model wrote it beside its first run
    expect(forkRow).toEqual({ title: 'Poem about herons', parent: id, run: second, step: 'prompt' });
    // a fork does not inherit the parent's runs
    expect((await listRuns(store.db, forkId)).map((r) => r.prompt)).toEqual(['write code for a sea chart']);
  });

  it('at decide_mode: only the response is written again, with the same verdict and mode', async () => {
    const service = serviceOn(store.db);
    const { id, first } = await conversationWithTwoRuns(service);
    const { id: forkId, run } = await forkConversation(service, id, OWNER, { runId: first, step: 'decide_mode' });
    const events = await follow(run!).closed;
    await run!.finished;
    expect(events.filter((e) => e.type === 'step').map((e) => e.type === 'step' && `${e.value.name}:${e.value.status}`)).toEqual([
      'generate_poem:started',
      'generate_poem:completed',
    ]);
    expect(await contents(forkId)).toEqual(['user:write a poem about herons', expect.stringMatching(/^assistant:A demo poem/)]);
    const [forkRun] = await listRuns(store.db, forkId);
    expect(forkRun).toMatchObject({ status: 'complete', mode: 'generate_poem' });
    expect((await listRunSteps(store.db, forkRun!.id)).map((s) => s.name)).toEqual(['generate_poem']);
    // a fork of the first prompt has its own title from its prompt
    const [row] = await store.db.execute(sql`select title from conversations where id = ${forkId}`).then((r) => (r as unknown as { rows: { title: string }[] }).rows);
    expect(row?.title).toBe('write a poem about herons');
  });

  it('at the response step: the finished turn copied, nothing run, and the fork answers its next prompt with that history', async () => {
    const seen: string[][] = [];
    const service = serviceOn(store.db, demoModels({ decideMode: async (history) => (seen.push(history.map((t) => t.role)), 'answer_question') }));
    const { id, first } = await conversationWithTwoRuns(service);
    const { id: forkId, run } = await forkConversation(service, id, OWNER, { runId: first, step: 'answer_question' });
    expect(run).toBeNull();
    expect((await contents(forkId)).map((c) => c.split(':')[0])).toEqual(['user', 'assistant']);
    const next = await startRun(service, forkId, OWNER, 'and herons in winter?');
    await follow(next).closed;
    expect(seen.at(-1)).toEqual(['user', 'assistant', 'user']);
  });

  it('is a 404 for a run of another conversation, a step the run did not take or has not finished, or another session', async () => {
    const service = serviceOn(store.db, demoModels({ streamResponse: (step, history, signal) => createDemoModel(60).streamResponse(step, history, signal) }));
    const { id, first } = await conversationWithTwoRuns(serviceOn(store.db));
    const other = await newConversation();
    const attempts = [
      () => forkConversation(service, other, OWNER, { runId: first, step: 'prompt' }),
      () => forkConversation(service, id, OWNER, { runId: crypto.randomUUID(), step: 'prompt' }),
      () => forkConversation(service, id, OWNER, { runId: first, step: 'generate_code' }),
      () => forkConversation(service, id, 'stranger', { runId: first, step: 'prompt' }),
    ];
    for (const attempt of attempts) await expect(attempt()).rejects.toMatchObject({ code: 'not_found' });
    const running = await startRun(service, other, OWNER, 'what is a heron?');
    await expect(forkConversation(service, other, OWNER, { runId: running.id, step: 'answer_question' })).rejects.toMatchObject({ code: 'not_found' });
    running.cancel();
    await running.finished;
  });
});
