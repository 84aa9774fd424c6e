import { describe, expect, it } from 'vitest';
import { createRunRegistry, type RunHandle } from '@/lib/agent/run-registry';
import { createMemoryEventLog } from '@/lib/stream/event-log';

function fakeRun(conversationId: string) {
  let finish = () => {};
  const cancels: number[] = [];
  const run: RunHandle = {
    id: crypto.randomUUID(),
    conversationId,
    log: createMemoryEventLog(),
    cancel: () => void cancels.push(1),
    finished: new Promise<void>((resolve) => (finish = resolve)),
  };
  return { run, finish, cancels };
}

describe('the run registry', () => {
  it('holds one run per conversation from the moment it starts until it has finished', async () => {
    const registry = createRunRegistry();
    const { run, finish } = fakeRun('c1');
    let launchDone = () => {};
    const launching = registry.start('c1', 'me', () => new Promise((resolve) => (launchDone = () => resolve(run))));
    // Reserved while still starting: a second prompt is refused before anything was awaited.
    await expect(registry.start('c1', 'me', async () => fakeRun('c1').run)).rejects.toMatchObject({ code: 'run_in_progress' });
    expect(registry.find('c1', 'me')).toBeUndefined();
    launchDone();
    expect(await launching).toBe(run);
    expect(registry.find('c1', 'me')).toBe(run);
    await expect(registry.start('c1', 'me', async () => fakeRun('c1').run)).rejects.toMatchObject({ code: 'run_in_progress' });
    // Another conversation is not affected.
    const other = fakeRun('c2');
    expect(await registry.start('c2', 'me', async () => other.run)).toBe(other.run);
    finish();
    await run.finished;
    expect(registry.find('c1', 'me')).toBeUndefined();
    const next = fakeRun('c1');
    expect(await registry.start('c1', 'me', async () => next.run)).toBe(next.run);
  });

  it('frees the conversation when starting fails', async () => {
    const registry = createRunRegistry();
    await expect(registry.start('c1', 'me', async () => Promise.reject(new Error('store down')))).rejects.toThrow('store down');
    const { run } = fakeRun('c1');
    expect(await registry.start('c1', 'me', async () => run)).toBe(run);
  });

  it('cancels the conversation’s run, and says when nothing runs there', async () => {
    const registry = createRunRegistry();
    const { run, cancels } = fakeRun('c1');
    await registry.start('c1', 'me', async () => run);
    expect(registry.cancel('c1', 'me')).toBe(run);
    expect(cancels).toHaveLength(1);
    expect(registry.cancel('c2', 'me')).toBeUndefined();
  });

  it('tells another session nothing of a run it does not own', async () => {
    const registry = createRunRegistry();
    const { run, cancels } = fakeRun('c1');
    let launchDone = () => {};
    const launching = registry.start('c1', 'me', () => new Promise((resolve) => (launchDone = () => resolve(run))));
    // While it starts and while it runs, a stranger's prompt is a 404, as for a conversation that does not exist.
    await expect(registry.start('c1', 'stranger', async () => fakeRun('c1').run)).rejects.toMatchObject({ code: 'not_found' });
    launchDone();
    await launching;
    await expect(registry.start('c1', 'stranger', async () => fakeRun('c1').run)).rejects.toMatchObject({ code: 'not_found' });
    expect(registry.find('c1', 'stranger')).toBeUndefined();
    expect(registry.cancel('c1', 'stranger')).toBeUndefined();
    expect(cancels).toHaveLength(0);
    expect(registry.find('c1', 'me')).toBe(run);
  });

  it('hands a guest’s runs to the account it signed in to, and only those', async () => {
    const registry = createRunRegistry();
    const mine = fakeRun('c1');
    const theirs = fakeRun('c2');
    await registry.start('c1', 'guest', async () => mine.run);
    await registry.start('c2', 'someone', async () => theirs.run);
    expect(registry.reown('guest', 'account:1')).toBe(1);
    expect(registry.find('c1', 'guest')).toBeUndefined();
    expect(registry.cancel('c1', 'account:1')).toBe(mine.run);
    expect(mine.cancels).toHaveLength(1);
    await expect(registry.start('c1', 'account:1', async () => fakeRun('c1').run)).rejects.toMatchObject({ code: 'run_in_progress' });
    expect(registry.find('c2', 'someone')).toBe(theirs.run);
  });
});
