/**
 * How long Stop takes to reach the model: from the moment a client sends `POST .../cancel` to the moment the
 * upstream sees its streaming request closed, pressed on the instance producing the run or on another one.
 */
import { randomUUID } from 'node:crypto';
import { readStreamEvents } from '@/lib/stream/read-sse';
import { createClient, newConversation, postPrompt } from '../../tests/helpers/api-client';
import type { MockUpstream } from '../../tests/mock-upstream/server';
import { percentile } from './measure';

export type StopFigures = { stops: number; p50Ms: number; p99Ms: number; maxMs: number };

/** `count` runs started on `producer`, each stopped from `stopper` once three deltas have arrived. */
export async function measureStops(options: { mock: MockUpstream; producer: string; stopper: string; count: number }): Promise<StopFigures> {
  const { mock, producer, stopper, count } = options;
  const latencies: number[] = [];
  for (let n = 0; n < count; n++) {
    const onProducer = createClient(producer);
    const onStopper = createClient(stopper, onProducer.cookie.split('=')[1]);
    const id = await newConversation(onProducer);
    const prompt = `stop number ${n}, ${randomUUID()}?`;
    const response = await postPrompt(onProducer, id, prompt);
    if (response.status !== 200 || !response.body) throw new Error(`stop ${n}: HTTP ${response.status}`);
    const events = readStreamEvents(response.body);
    for (let deltas = 0; deltas < 3; ) {
      const next = await events.next();
      if (next.done) throw new Error(`stop ${n}: the run ended before it could be stopped`);
      if (next.value.event.type === 'delta') deltas++;
    }
    const pressed = Date.now();
    const cancel = await onStopper.fetch(`/api/conversations/${id}/cancel`, { method: 'POST' });
    if (cancel.status !== 202) throw new Error(`stop ${n}: cancel answered HTTP ${cancel.status}`);
    const request = () => mock.chatRequests().find((r) => JSON.stringify(r.body.messages ?? []).includes(prompt));
    while (request()?.closedAt === undefined) {
      if (Date.now() - pressed > 10_000) throw new Error(`stop ${n}: the upstream request was not closed within 10 s`);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    latencies.push(request()!.closedAt! - pressed);
    // The rest of the stream (its `done`, the answer stored as interrupted) before the next run.
    for (let next = await events.next(); !next.done; next = await events.next());
  }
  return { stops: count, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), maxMs: Math.max(...latencies) };
}
