import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { StreamEvent } from '@/lib/contract';

// The run service reads its configuration once: set it before the modules load.
vi.stubEnv('DATA_DIR', 'memory://');
vi.stubEnv('DATABASE_URL', '');
vi.stubEnv('OPENAI_API_KEY', '');
vi.stubEnv('OPENAI_BASE_URL', '');
vi.stubEnv('DEMO_TOKEN_DELAY_MS', '1');

const { startRun } = await import('@/lib/agent/run-service');
const { createConversation } = await import('@/lib/conversations');
const { getStore } = await import('@/lib/db/client');
const { listMessages, listRuns, listRunSteps } = await import('@/lib/db/queries');

let db: Awaited<ReturnType<typeof getStore>>['db'];
beforeAll(async () => {
  db = (await getStore()).db;
});
afterAll(async () => (await getStore()).close());

/** Follows a run's log and checks the store at the moments the contract names. */
async function followRun(conversationId: string, prompt: string) {
  const run = await startRun(conversationId, prompt);
  const events: StreamEvent[] = [];
  const checks: Promise<void>[] = [];
  let storedAtFirstStep: string[] = [];
  let storedAtDone: string[] = [];
  await new Promise<void>((resolve) => {
    run.log.follow(0, {
      onEvent({ event }) {
        events.push(event);
        if (event.type === 'step' && events.filter((e) => e.type === 'step').length === 1) {
          checks.push(listMessages(db, conversationId).then((m) => void (storedAtFirstStep = m.map((x) => x.role))));
        }
        if (event.type === 'done') {
          checks.push(listMessages(db, conversationId).then((m) => void (storedAtDone = m.map((x) => x.role))));
        }
      },
      onClose: resolve,
    });
  });
  await Promise.all(checks);
  await run.finished;
  return { run, events, storedAtFirstStep, storedAtDone };
}

describe('the run service', () => {
  it('stores the user message before any step runs and the assistant message before done', async () => {
    const { id } = await createConversation();
    const { storedAtFirstStep, storedAtDone, events } = await followRun(id, 'what is a heron?');
    expect(storedAtFirstStep).toEqual(['user']);
    expect(storedAtDone).toEqual(['user', 'assistant']);
    expect(events.at(-1)?.type).toBe('done');
  });

  it('traces every step of the run with its input, output and the machine state after it', async () => {
    const { id } = await createConversation();
    const { run } = await followRun(id, 'write a poem about herons');
    const [stored] = await listRuns(db, id);
    expect(stored).toMatchObject({ id: run.id, status: 'complete', mode: 'generate_poem', prompt: 'write a poem about herons' });
    const steps = await listRunSteps(db, run.id);
    expect(steps.map((s) => s.name).sort()).toEqual(['check_safety', 'decide_mode', 'generate_poem']);
    expect(steps.every((s) => s.status === 'completed' && s.endedAt instanceof Date)).toBe(true);
    const byName = Object.fromEntries(steps.map((s) => [s.name, s]));
    expect(byName.check_safety?.output).toEqual({ safe: true });
    expect(byName.decide_mode?.output).toEqual({ mode: 'generate_poem' });
    expect(byName.generate_poem?.input).toEqual({ prompt: 'write a poem about herons' });
    expect((byName.generate_poem?.output as { content: string }).content).toMatch(/demo poem/);
    // the state after the response step is the resting state, holding the whole exchange
    expect(byName.generate_poem?.snapshot).toMatchObject({ value: 'prompt', context: { responseStep: 'generate_poem' } });
    const context = (byName.generate_poem?.snapshot as { context: { history: unknown[] } }).context;
    expect(context.history).toHaveLength(2);
  });

  it('refuses a second run in the same conversation while one is in progress', async () => {
    const { id } = await createConversation();
    const first = await startRun(id, 'why is the sea salty?');
    await expect(startRun(id, 'again?')).rejects.toMatchObject({ code: 'run_in_progress' });
    await first.finished;
    const second = await startRun(id, 'again?');
    await second.finished;
    expect((await listMessages(db, id)).map((m) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant']);
  });
});
