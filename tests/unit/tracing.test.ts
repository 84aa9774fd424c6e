import { trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createRunService } from '@/lib/agent/run-service';
import { createRunRegistry } from '@/lib/agent/run-registry';
import { startRun } from '@/lib/agent/start-run';
import { openStore, type Store } from '@/lib/db/client';
import { insertConversation } from '@/lib/db/queries/conversations';
import { parseEnv } from '@/lib/env';
import { createModels } from '@/lib/llm';
import { startMockUpstream, type MockUpstream } from '../mock-upstream/server';
import { follow } from '../helpers/run-fixtures';

const exporter = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
let store: Store;
let mock: MockUpstream;
const OWNER = 'owner-of-traced-runs';

beforeAll(async () => {
  // The SDK as instrumentation.ts registers it (an async-hooks context manager, W3C propagation), exporting to memory.
  provider.register();
  store = await openStore({ dataDir: 'memory://' });
  mock = await startMockUpstream();
});
afterAll(async () => {
  await provider.shutdown();
  trace.disable();
  await store?.close();
  await mock?.close();
});
beforeEach(() => exporter.reset());

function serviceFor(captureContent: boolean) {
  const env = parseEnv({
    OPENAI_BASE_URL: mock.baseURL,
    OPENAI_API_KEY: 'test',
    CHAT_MODEL: 'mock-chat',
    ROUTER_MODEL: 'mock-router',
    UPSTREAM_MAX_RETRIES: '0',
    OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: captureContent ? 'true' : '',
  });
  return createRunService({ db: store.db, models: createModels(env), registry: createRunRegistry(), quota: { runs: 1000, windowS: 60 } });
}

async function runOnce(prompt: string, captureContent = false) {
  const id = crypto.randomUUID();
  await insertConversation(store.db, { id, ownerId: OWNER });
  const run = await startRun(serviceFor(captureContent), id, OWNER, prompt);
  await follow(run).closed;
  await run.finished;
  return { id, runId: run.id, spans: exporter.getFinishedSpans() };
}

const named = (spans: ReadableSpan[], name: string) => spans.filter((span) => span.name === name);
const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;

describe('tracing a run', () => {
  it('has a chat.run span, a span per step under it, and a GenAI span per model call under its step', async () => {
    const { id, runId, spans } = await runOnce('How do tides work? [think:reasoning][thought:Moon.][reply:The moon pulls the sea.]');
    const [run] = named(spans, 'chat.run');
    expect(run?.attributes).toMatchObject({
      'sluice.conversation.id': id,
      'sluice.run.id': runId,
      'sluice.run.status': 'complete',
      'sluice.run.mode': 'answer_question',
    });
    const steps = ['check_safety', 'decide_mode', 'answer_question'].map((name) => named(spans, name)[0]);
    for (const step of steps) {
      expect(parentOf(step!)).toBe(run!.spanContext().spanId);
      expect(step!.spanContext().traceId).toBe(run!.spanContext().traceId);
    }
    expect(steps[2]!.attributes['sluice.step.status']).toBe('completed');

    const answer = named(spans, 'chat mock-chat')[0]!;
    expect(parentOf(answer)).toBe(steps[2]!.spanContext().spanId);
    expect(answer.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'mock-chat',
      'gen_ai.response.model': 'mock-chat',
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.output_tokens': 6,
    });
    expect(answer.attributes['gen_ai.usage.input_tokens']).toEqual(expect.any(Number));
    expect(answer.events.map((event) => event.name)).toEqual(['first_token']);
    expect(answer.attributes['sluice.time_to_first_token_ms']).toEqual(expect.any(Number));
    // The router's call under decide_mode; the first run's title, written beside the run, under the run itself.
    expect(named(spans, 'chat mock-router').map(parentOf).sort()).toEqual([steps[1]!.spanContext().spanId, run!.spanContext().spanId].sort());

    // The model server was sent each call's trace context, so a gateway's spans join the trace.
    const sent = mock.chatRequests().at(-1)!;
    expect(sent.headers.traceparent).toBe(`00-${answer.spanContext().traceId}-${answer.spanContext().spanId}-01`);

    // No prompt, answer or reasoning in any span by default.
    const everything = JSON.stringify(spans.map((span) => [span.name, span.attributes, span.events]));
    for (const text of ['How do tides work', 'The moon pulls the sea', 'Moon.']) expect(everything).not.toContain(text);
  });

  it('puts the messages on the model-call spans only when content capture is on', async () => {
    const { spans } = await runOnce('Why is the sea salty? [think:reasoning][thought:Rivers.][reply:Minerals from rivers.]', true);
    const answer = named(spans, 'chat mock-chat')[0]!;
    const input = JSON.parse(String(answer.attributes['gen_ai.input.messages'])) as { role: string; parts: { content: string }[] }[];
    expect(input.at(-1)).toEqual({ role: 'user', parts: [{ type: 'text', content: 'Why is the sea salty? [think:reasoning][thought:Rivers.][reply:Minerals from rivers.]' }] });
    expect(JSON.parse(String(answer.attributes['gen_ai.output.messages']))).toEqual([
      { role: 'assistant', parts: [{ type: 'reasoning', content: 'Rivers.' }, { type: 'text', content: 'Minerals from rivers.' }], finish_reason: 'stop' },
    ]);
  });

  it('marks a failed model call and its run with the error code', async () => {
    const { spans } = await runOnce('Explain this? [fail:500]');
    const answer = named(spans, 'chat mock-chat')[0]!;
    expect(answer.status).toMatchObject({ code: 2, message: 'upstream_error' });
    expect(answer.attributes['error.type']).toBe('upstream_error');
    expect(named(spans, 'answer_question')[0]!.attributes).toMatchObject({ 'sluice.step.status': 'failed', 'error.type': 'upstream_error' });
    expect(named(spans, 'chat.run')[0]!.attributes).toMatchObject({ 'sluice.run.status': 'error', 'error.type': 'upstream_error' });
  });
});
