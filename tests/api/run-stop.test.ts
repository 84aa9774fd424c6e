import { describe, expect, it } from 'vitest';
import type { StreamEvent } from '@/lib/contract';
import { readStreamEvents } from '@/lib/stream/read-sse';

import type { MockUpstream } from '../mock-upstream/server';
import { type ApiClient, newConversation, ofType, postPrompt } from '../helpers/api-client';
import { withUpstreamApp } from '../helpers/upstream-app';

let mock: MockUpstream;
let api: ApiClient;
withUpstreamApp((started) => ({ mock, api } = started));

describe('stopping a run', () => {
  it('stops the run on cancel: the upstream request is closed and the partial answer stored as interrupted', async () => {
    const id = await newConversation(api);
    const response = await postPrompt(api, id, 'question? [slow:100][reply:a b c d e f g h i j k l m n o p]');
    const seen: string[] = [];
    const events = [];
    let cancelled = false;
    for await (const received of readStreamEvents(response.body!)) {
      events.push(received);
      if (received.event.type === 'delta') seen.push(received.event.value);
      if (seen.length === 3 && !cancelled) {
        cancelled = true;
        const cancel = await api.fetch(`/api/conversations/${id}/cancel`, { method: 'POST' });
        expect(cancel.status).toBe(202);
      }
    }
    const done = ofType(events, 'done')[0]!.value;
    expect(done.status).toBe('interrupted');
    expect(done.content).toBe(ofType(events, 'delta').map((e) => e.value).join(''));
    expect(done.content.length).toBeLessThan('a b c d e f g h i j k l m n o p'.length);
    expect(ofType(events, 'step').at(-1)?.value).toEqual({ name: 'answer_question', status: 'interrupted' });
    await expect.poll(() => mock.chatRequests().at(-1)?.closedByClient).toBe(true);
    const noRun = await api.fetch(`/api/conversations/${id}/cancel`, { method: 'POST' });
    expect(noRun.status).toBe(409);
    expect((await noRun.json()).error.code).toBe('no_run');
  });

  it('deletes a conversation mid-run: the run is stopped first (its model call closed), then nothing of it is left', async () => {
    const id = await newConversation(api);
    const response = await postPrompt(api, id, 'question? [slow:100][reply:a b c d e f g h i j k l m n o p]');
    const events = [];
    for await (const received of readStreamEvents(response.body!)) {
      events.push(received);
      if (ofType(events, 'delta').length === 2) break;
    }
    expect((await api.fetch(`/api/conversations/${id}`, { method: 'DELETE' })).status).toBe(204);
    await expect.poll(() => mock.chatRequests().at(-1)?.closedByClient).toBe(true);
    expect((await api.fetch(`/api/conversations/${id}`)).status).toBe(404);
    expect((await api.fetch(`/api/conversations/${id}/stream`)).status).toBe(404);
    const list = (await (await api.fetch('/api/conversations')).json()) as { conversations: { id: string }[] };
    expect(list.conversations.map((c) => c.id)).not.toContain(id);
  });

  /** Cancels once `ready` holds for the events so far; returns every event of the run. */
  async function cancelWhen(id: string, prompt: string, ready: (events: StreamEvent[]) => boolean | Promise<boolean>) {
    const response = await postPrompt(api, id, prompt);
    const events: StreamEvent[] = [];
    let cancelled = false;
    for await (const { event } of readStreamEvents(response.body!)) {
      events.push(event);
      if (!cancelled && (await ready(events))) {
        cancelled = true;
        expect((await api.fetch(`/api/conversations/${id}/cancel`, { method: 'POST' })).status).toBe(202);
      }
    }
    return events;
  }

  // The idle watchdog (UPSTREAM_IDLE_TIMEOUT_MS=1500) is the only other thing that would close these requests;
  // expect.poll gives up after 1 s, so only the cancel itself can pass them.
  it('stops at once while the upstream is silent mid-answer: the request is closed without waiting for a chunk', async () => {
    const id = await newConversation(api);
    const prompt = 'question? [stall:2][reply:a b c d]';
    const events = await cancelWhen(id, prompt, (seen) => seen.filter((e) => e.type === 'delta').length === 2);
    expect(events.at(-1)).toMatchObject({ type: 'done', value: { status: 'interrupted', content: 'a b ' } });
    await expect.poll(() => mock.chatRequests().find((r) => JSON.stringify(r.body).includes('[stall:2]'))?.closedByClient).toBe(true);
  });

  it('stops at once while the router is still deciding: the router request is closed, nothing is answered', async () => {
    const id = await newConversation(api);
    const prompt = 'question? [slowrouter:60000]';
    const routerRequest = () => mock.requests.find((r) => r.kind === 'router' && JSON.stringify(r.body).includes('[slowrouter:60000]'));
    const events = await cancelWhen(id, prompt, async (seen) => {
      const last = seen.at(-1);
      if (last?.type !== 'step' || last.value.name !== 'decide_mode') return false;
      await expect.poll(routerRequest).toBeDefined();
      return true;
    });
    expect(events.at(-1)).toMatchObject({ type: 'done', value: { status: 'interrupted', content: '' } });
    expect(events.filter((e) => e.type === 'mode')).toEqual([]);
    await expect.poll(() => routerRequest()?.closedByClient).toBe(true);
    expect(mock.chatRequests().some((r) => JSON.stringify(r.body).includes('[slowrouter:60000]'))).toBe(false);
  });

  it('answers 404 to a cancel for a conversation that does not exist, and 409 when nothing runs', async () => {
    const missing = await api.fetch(`/api/conversations/${crypto.randomUUID()}/cancel`, { method: 'POST' });
    expect(missing.status).toBe(404);
    expect((await missing.json()).error.code).toBe('not_found');
    const idle = await api.fetch(`/api/conversations/${await newConversation(api)}/cancel`, { method: 'POST' });
    expect(idle.status).toBe(409);
    expect((await idle.json()).error.code).toBe('no_run');
  });
});
