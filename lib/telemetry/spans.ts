import 'server-only';
import { context, createContextKey, propagation, SpanKind, SpanStatusCode, trace, type Context, type Span } from '@opentelemetry/api';
import type { ErrorCode, ResponseStep, TokenUsage } from '@/lib/contract';
import { AppError } from '@/lib/errors';

/**
 * Spans for runs, their steps and their model calls, through the OpenTelemetry API. Without an SDK registered
 * (instrumentation.ts registers one only when an OTLP endpoint is set) every call here is the API's no-op.
 */
const tracer = trace.getTracer('sluice');

/** The run a context belongs to: each step's span hangs under it, wherever the step was started from. */
const RUN_SPAN = createContextKey('sluice.run');

const errorCodeOf = (error: unknown): ErrorCode => (error instanceof AppError ? error.code : 'internal_error');

function markFailed(span: Span, code: string) {
  span.setAttribute('error.type', code);
  span.setStatus({ code: SpanStatusCode.ERROR, message: code });
}

export type RunSpan = {
  /** Runs `fn` with the run as the current context: the steps started in it are the run's. */
  within<T>(fn: () => T): T;
  /** Ends the span with how the run ended: a run outlives its request, so this is called when the run ends. */
  end(outcome: { status: string; mode: ResponseStep | null; errorCode?: ErrorCode | undefined }): void;
};

/** The span of a run (`chat.run`), under the request that started it. */
export function startRunSpan(ids: { conversationId: string; runId: string }): RunSpan {
  const span = tracer.startSpan('chat.run', {
    kind: SpanKind.INTERNAL,
    attributes: { 'sluice.conversation.id': ids.conversationId, 'sluice.run.id': ids.runId },
  });
  const runContext = trace.setSpan(context.active(), span).setValue(RUN_SPAN, span);
  let ended = false;
  return {
    within: (fn) => context.with(runContext, fn),
    end({ status, mode, errorCode }) {
      if (ended) return;
      ended = true;
      span.setAttribute('sluice.run.status', status);
      if (mode) span.setAttribute('sluice.run.mode', mode);
      if (errorCode) markFailed(span, errorCode);
      span.end();
    },
  };
}

/**
 * Runs one step of the machine in a span named after it, under its run (not under whichever step's continuation
 * happened to start it). A step cut short by a cancel is `interrupted`, not an error.
 */
export function inStepSpan<T>(step: string, signal: AbortSignal, work: () => Promise<T>): Promise<T> {
  const run = context.active().getValue(RUN_SPAN) as Span | undefined;
  const parent: Context = run ? trace.setSpan(context.active(), run) : context.active();
  return tracer.startActiveSpan(step, { kind: SpanKind.INTERNAL }, parent, async (span) => {
    try {
      const result = await work();
      span.setAttribute('sluice.step.status', signal.aborted ? 'interrupted' : 'completed');
      return result;
    } catch (error) {
      if (signal.aborted) span.setAttribute('sluice.step.status', 'interrupted');
      else {
        span.setAttribute('sluice.step.status', 'failed');
        markFailed(span, errorCodeOf(error));
      }
      throw error;
    } finally {
      span.end();
    }
  });
}

type ModelMessageLike = { role: string; content?: unknown };

/** Messages as the GenAI conventions write them: a role and its parts. */
function asGenAiMessages(messages: ModelMessageLike[]) {
  return messages.map(({ role, content }) => ({
    role,
    parts:
      typeof content === 'string' || content == null
        ? [{ type: 'text', content: content ?? '' }]
        : (content as { type: string; text?: string; image_url?: { url: string } }[]).map((part) =>
            part.type === 'image_url' ? { type: 'uri', uri: part.image_url?.url } : { type: 'text', content: part.text },
          ),
  }));
}

export type ModelCallSpan = {
  /** Headers that carry this call's trace to the model server (`traceparent`), so a gateway's spans join it. */
  headers: Record<string, string>;
  /** Runs `fn` in the call's context. */
  within<T>(fn: () => T): T;
  firstToken(): void;
  response(model: string | undefined, finishReason: string | null | undefined): void;
  usage(usage: TokenUsage): void;
  fail(error: unknown): void;
  /** Ends the span; with content capture on, the output goes on it first. */
  end(output?: { text: string; reasoning?: string }): void;
};

/**
 * A model call's span, per the OpenTelemetry GenAI conventions: `{operation} {model}`, the provider, the models
 * asked and answering, the tokens, the finish reasons, the time to the first token (an event and an attribute).
 * Prompts and answers are put on it only when `captureContent` is on.
 */
export function startModelCallSpan(call: {
  operation: 'chat';
  provider: string;
  model: string;
  messages: ModelMessageLike[];
  captureContent: boolean;
}): ModelCallSpan {
  const startedAt = performance.now();
  const span = tracer.startSpan(`${call.operation} ${call.model}`, {
    kind: SpanKind.CLIENT,
    attributes: {
      'gen_ai.operation.name': call.operation,
      'gen_ai.provider.name': call.provider,
      'gen_ai.request.model': call.model,
    },
  });
  if (call.captureContent) span.setAttribute('gen_ai.input.messages', JSON.stringify(asGenAiMessages(call.messages)));
  const callContext = trace.setSpan(context.active(), span);
  const headers: Record<string, string> = {};
  propagation.inject(callContext, headers);
  let sawFirstToken = false;
  let finishReasons: string[] = [];
  let ended = false;
  return {
    headers,
    within: (fn) => context.with(callContext, fn),
    firstToken() {
      if (sawFirstToken) return;
      sawFirstToken = true;
      const ms = Math.round(performance.now() - startedAt);
      span.setAttribute('sluice.time_to_first_token_ms', ms);
      span.addEvent('first_token', { 'sluice.time_to_first_token_ms': ms });
    },
    response(model, finishReason) {
      if (model) span.setAttribute('gen_ai.response.model', model);
      if (finishReason) {
        finishReasons = [...finishReasons, finishReason];
        span.setAttribute('gen_ai.response.finish_reasons', finishReasons);
      }
    },
    usage(usage) {
      span.setAttributes({ 'gen_ai.usage.input_tokens': usage.input, 'gen_ai.usage.output_tokens': usage.output });
      if (usage.estimated) span.setAttribute('sluice.usage.estimated', true);
    },
    fail(error) {
      markFailed(span, errorCodeOf(error));
    },
    end(output) {
      if (ended) return;
      ended = true;
      if (call.captureContent && output) {
        const parts = [...(output.reasoning ? [{ type: 'reasoning', content: output.reasoning }] : []), { type: 'text', content: output.text }];
        span.setAttribute('gen_ai.output.messages', JSON.stringify([{ role: 'assistant', parts, finish_reason: finishReasons.at(-1) ?? null }]));
      }
      span.end();
    },
  };
}
