import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockUpstream, type MockUpstream } from '../mock-upstream/server';
import { startApp, type AppServer } from '../helpers/app-server';
import { createClient, newConversation, postPrompt, runPrompt, type ApiClient } from '../helpers/api-client';
import { startOtlpReceiver, type ExportedSpan } from '../helpers/otlp-receiver';
import { upstreamEnv } from '../helpers/upstream-app';

type Receiver = Awaited<ReturnType<typeof startOtlpReceiver>>;

/** Exports go out every 100 ms instead of every 5 s, so the test does not wait on the batch. */
const tracingEnv = (receiver: Receiver, more: Record<string, string> = {}) => ({
  OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
  OTEL_BSP_SCHEDULE_DELAY: '100',
  ...more,
});

/**
 * A test that needs settings of its own: an app against its own mock upstream and OTLP receiver (`env` says how it
 * is traced, if at all), all three stopped after it.
 */
async function withTracedApp(
  env: (receiver: Receiver) => Record<string, string>,
  test: (started: { mock: MockUpstream; receiver: Receiver; app: AppServer; api: ApiClient }) => Promise<void>,
) {
  const mock = await startMockUpstream();
  const receiver = await startOtlpReceiver();
  const app = await startApp({ ...upstreamEnv(mock), ...env(receiver) });
  try {
    await test({ mock, receiver, app, api: createClient(app.url) });
  } finally {
    await app.stop();
    await receiver.close();
    await mock.close();
  }
}

describe('the server traced over OTLP/HTTP (http/json)', () => {
  let mock: MockUpstream;
  let receiver: Receiver;
  let app: AppServer;

  beforeAll(async () => {
    mock = await startMockUpstream();
    receiver = await startOtlpReceiver();
    app = await startApp({
      ...upstreamEnv(mock),
      ...tracingEnv(receiver, {
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_EXPORTER_OTLP_HEADERS: 'x-collector-key=secret-1',
        OTEL_SERVICE_NAME: 'sluice-under-test',
      }),
    });
  });
  afterAll(async () => {
    await app?.stop();
    await receiver?.close();
    await mock?.close();
  });

  it("exports the request's span, the run under it, its steps and model calls, with no prompt or answer in them", async () => {
    const api = createClient(app.url);
    const id = await newConversation(api);
    const prompt = 'How do tides work? [think:reasoning][thought:The moon.][reply:The moon pulls the sea.]';
    await runPrompt(api, id, prompt);
    let run: ExportedSpan | undefined;
    await expect.poll(() => (run = receiver.spans().find((span) => span.name === 'chat.run' && span.attributes['sluice.conversation.id'] === id)), { timeout: 10_000 }).toBeDefined();
    // The model calls end before the run: once the run is exported, so are they.
    await expect.poll(() => receiver.spans().filter((span) => span.traceId === run!.traceId && span.name === 'chat mock-chat').length, { timeout: 10_000 }).toBe(1);
    const trace = receiver.spans().filter((span) => span.traceId === run!.traceId);
    const byId = new Map(trace.map((span) => [span.spanId, span]));

    expect(run!.resource['service.name']).toBe('sluice-under-test');
    expect(run!.attributes).toMatchObject({ 'sluice.run.status': 'complete', 'sluice.run.mode': 'answer_question' });
    // Under the request: Next.js's own spans lead from the HTTP request down to the run.
    const ancestors: string[] = [];
    for (let span = byId.get(run!.parentSpanId ?? ''); span; span = byId.get(span.parentSpanId ?? '')) ancestors.push(span.name);
    expect(ancestors.at(-1)).toMatch(/^POST \/api\/conversations\/\[id\]\/messages/);

    for (const step of ['check_safety', 'decide_mode', 'answer_question']) {
      expect(trace.find((span) => span.name === step)?.parentSpanId).toBe(run!.spanId);
    }
    const answer = trace.find((span) => span.name === 'chat mock-chat')!;
    expect(byId.get(answer.parentSpanId!)?.name).toBe('answer_question');
    expect(answer.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'mock-chat',
      'gen_ai.response.model': 'mock-chat',
      'gen_ai.response.finish_reasons': ['stop'],
    });
    expect(answer.attributes['gen_ai.usage.output_tokens']).toBeGreaterThan(0);
    expect(answer.events.map((event) => event.name)).toContain('first_token');
    const sent = mock.chatRequests().find((request) => JSON.stringify(request.body).includes('How do tides work?'))!;
    expect(sent.headers.traceparent).toBe(`00-${answer.traceId}-${answer.spanId}-01`);

    expect(receiver.exports.every((received) => received.headers['x-collector-key'] === 'secret-1')).toBe(true);
    const exported = receiver.exports.map((received) => received.body.toString('utf8')).join('\n');
    for (const text of ['How do tides work', 'The moon pulls the sea', 'The moon.']) expect(exported).not.toContain(text);
  });

  it('ends a run\'s span when the run ends, though the request that started it was left long before', async () => {
    const api = createClient(app.url);
    const id = await newConversation(api);
    const response = await postPrompt(api, id, 'Count slowly? [slow:100][reply:one two three four five six seven eight]');
    // The reader leaves at once: the run goes on without it, and its span with it.
    await response.body?.cancel();
    let run: ExportedSpan | undefined;
    await expect.poll(() => (run = receiver.spans().find((span) => span.name === 'chat.run' && span.attributes['sluice.conversation.id'] === id)), { timeout: 15_000 }).toBeDefined();
    expect(run!.attributes).toMatchObject({ 'sluice.run.status': 'complete' });
    const call = receiver.spans().find((span) => span.traceId === run!.traceId && span.name === 'chat mock-chat');
    expect(call?.attributes['gen_ai.usage.output_tokens']).toBe(8);
  });

  it('marks a failed run and its model call with the error code', async () => {
    const api = createClient(app.url);
    const id = await newConversation(api);
    await runPrompt(api, id, 'Explain this? [fail:500]');
    let run: ExportedSpan | undefined;
    await expect.poll(() => (run = receiver.spans().find((span) => span.name === 'chat.run' && span.attributes['sluice.conversation.id'] === id)), { timeout: 10_000 }).toBeDefined();
    expect(run!.attributes).toMatchObject({ 'sluice.run.status': 'error', 'error.type': 'upstream_error' });
    expect(run!.status).toMatchObject({ code: 2, message: 'upstream_error' });
    const call = receiver.spans().find((span) => span.traceId === run!.traceId && span.name === 'chat mock-chat');
    expect(call?.attributes['error.type']).toBe('upstream_error');
  });
});

describe('the server traced over OTLP/HTTP (http/protobuf, the default) with content capture', () => {
  it('sends protobuf to the traces endpoint, the prompt and answer on the model-call span', () =>
    withTracedApp(
      (receiver) => ({
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${receiver.url}/custom/traces`,
        OTEL_BSP_SCHEDULE_DELAY: '100',
        OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'true',
      }),
      async ({ receiver, api }) => {
        await runPrompt(api, await newConversation(api), 'Why is the sea salty? [reply:Minerals from rivers.]');
        const body = () => Buffer.concat(receiver.exports.map((received) => received.body)).toString('latin1');
        await expect.poll(() => body().includes('chat.run'), { timeout: 10_000 }).toBe(true);
        expect(receiver.exports.every((received) => received.path === '/custom/traces')).toBe(true);
        expect(receiver.exports[0]?.headers['content-type']).toBe('application/x-protobuf');
        await expect.poll(() => body().includes('gen_ai.output.messages'), { timeout: 10_000 }).toBe(true);
        expect(body()).toContain('Why is the sea salty?');
        expect(body()).toContain('Minerals from rivers.');
      },
    ));
});

describe('the server traced with a sampler that keeps nothing', () => {
  it('honours OTEL_TRACES_SAMPLER: the model server is told the trace is not sampled', () =>
    withTracedApp(
      (receiver) => tracingEnv(receiver, { OTEL_TRACES_SAMPLER: 'always_off' }),
      async ({ mock, api }) => {
        await runPrompt(api, await newConversation(api), 'Sampled? [reply:No.]');
        expect(mock.chatRequests().at(-1)?.headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
      },
    ));
});

describe('the server without an OTLP endpoint', () => {
  it('loads no SDK: the model server gets no traceparent', () =>
    withTracedApp(
      () => ({}),
      async ({ mock, app, api }) => {
        await runPrompt(api, await newConversation(api), 'Untraced? [reply:Yes.]');
        expect(mock.chatRequests().at(-1)?.headers.traceparent).toBeUndefined();
        expect(app.logs()).not.toContain('[sluice] tracing to');
      },
    ));
});
