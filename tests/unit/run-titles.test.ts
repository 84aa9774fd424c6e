import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createRunRegistry } from '@/lib/agent/run-registry';
import { createRunService } from '@/lib/agent/run-service';
import { startRun } from '@/lib/agent/start-run';
import { openStore, type Store } from '@/lib/db/client';
import { findConversation, insertConversation, updateConversationTitle } from '@/lib/db/queries/conversations';
import { AppError } from '@/lib/errors';
import type { Models } from '@/lib/llm';
import { demoModels, follow } from '../helpers/run-fixtures';

let store: Store;
beforeAll(async () => {
  store = await openStore({ dataDir: 'memory://' });
});
afterAll(async () => store?.close());

const OWNER = 'owner-of-the-titled-conversations';
const serviceWith = (models: Models) => createRunService({ db: store.db, models, registry: createRunRegistry(), quota: { runs: 1000, windowS: 60 } });

async function newConversation() {
  const id = crypto.randomUUID();
  await insertConversation(store.db, { id, ownerId: OWNER });
  return id;
}

const storedTitle = async (id: string) => (await findConversation(store.db, id, OWNER))?.title;

/** A title the test hands over when it chooses: what a slow title model looks like. */
function heldTitle() {
  let give: (title: string) => void = () => {};
  const calls: string[] = [];
  const writeTitle = (prompt: string) => {
    calls.push(prompt);
    return new Promise<string>((resolve) => (give = resolve));
  };
  return { writeTitle, calls, give: (title: string) => give(title) };
}

describe('a title written beside the first run', () => {
  it('comes as a title event before done, is stored, and is not asked for again on the next prompt', async () => {
    const calls: string[] = [];
    const demo = demoModels();
    const service = serviceWith(demoModels({ writeTitle: (prompt, signal) => (calls.push(prompt), demo.chat.writeTitle(prompt, signal)) }));
    const id = await newConversation();
    const events = await follow(await startRun(service, id, OWNER, 'Write a poem about the sea.')).closed;
    const types = events.map((e) => e.type);
    expect(events).toContainEqual({ type: 'title', value: { title: 'Poem about the sea' } });
    expect(types.indexOf('title')).toBeLessThan(types.indexOf('done'));
    expect(types.at(-1)).toBe('done');
    expect(await storedTitle(id)).toBe('Poem about the sea');

    const second = await follow(await startRun(service, id, OWNER, 'Now one about rivers?')).closed;
    expect(second.map((e) => e.type)).not.toContain('title');
    expect(calls).toEqual(['Write a poem about the sea.']);
    expect(await storedTitle(id)).toBe('Poem about the sea');
  });

  it('asks for the title only once the run’s own model calls are made: its request never goes out in front of them', async () => {
    const asked: string[] = [];
    const demo = demoModels();
    const models: Models = {
      ...demoModels({
        writeTitle: (prompt, signal) => (asked.push('title'), demo.chat.writeTitle(prompt, signal)),
        decideMode: (history, signal, observe) => (asked.push('mode'), demo.chat.decideMode(history, signal, observe)),
      }),
      safety: { kind: 'rules', check: async (text, signal, observe) => (asked.push('safety'), demo.safety.check(text, signal, observe)) },
    };
    const id = await newConversation();
    await follow(await startRun(serviceWith(models), id, OWNER, 'Write a poem about the sea.')).closed;
    expect(asked).toHaveLength(3);
    expect(asked.at(-1)).toBe('title');
  });

  it('never holds up the answer: one ready after done is stored without an event', async () => {
    const title = heldTitle();
    const id = await newConversation();
    const events = await follow(await startRun(serviceWith(demoModels({ writeTitle: title.writeTitle })), id, OWNER, 'How do rivers form?')).closed;
    expect(events.at(-1)?.type).toBe('done');
    expect(events.map((e) => e.type)).not.toContain('title');
    expect(await storedTitle(id)).toBe('How do rivers form?');
    title.give('"Rivers and how they form."');
    await vi.waitFor(async () => expect(await storedTitle(id)).toBe('Rivers and how they form'));
  });

  it('never replaces a rename made while it was being written', async () => {
    const title = heldTitle();
    const id = await newConversation();
    const run = await startRun(serviceWith(demoModels({ writeTitle: title.writeTitle })), id, OWNER, 'How do tides work?');
    const { closed } = follow(run);
    await updateConversationTitle(store.db, id, OWNER, 'My tides notes');
    title.give('Tides explained');
    const events = await closed;
    expect(events.map((e) => e.type)).not.toContain('title');
    // the title's store is tried after the event it would have sent: give it the time to have failed to
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await storedTitle(id)).toBe('My tides notes');
  });

  it('leaves the first-prompt title when the title model fails, and the answer comes as usual', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const failing = demoModels({
        writeTitle: async () => {
          throw new AppError('upstream_error');
        },
      });
      const id = await newConversation();
      const events = await follow(await startRun(serviceWith(failing), id, OWNER, 'How do rivers form?')).closed;
      expect(events.at(-1)?.type).toBe('done');
      expect(events.map((e) => e.type)).not.toContain('title');
      expect(await storedTitle(id)).toBe('How do rivers form?');
      expect(warn).toHaveBeenCalledWith(expect.stringContaining('title_failed'));
    } finally {
      warn.mockRestore();
    }
  });

  it('is not used for a prompt the safety check refuses', async () => {
    const title = heldTitle();
    const id = await newConversation();
    const run = await startRun(serviceWith(demoModels({ writeTitle: title.writeTitle })), id, OWNER, 'something unsafe');
    title.give('A perfectly nice title');
    const events = await follow(run).closed;
    expect(events.find((e) => e.type === 'mode')?.value).toBe('unsafe_response');
    expect(events.map((e) => e.type)).not.toContain('title');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await storedTitle(id)).toBe('something unsafe');
  });
});
