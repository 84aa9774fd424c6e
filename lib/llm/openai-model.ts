import 'server-only';
import OpenAI from 'openai';
import type { TokenUsage } from '@/lib/contract';
import { AppError } from '@/lib/errors';
import {
  estimatedUsage,
  type ModelMessage,
  JSON_SCHEMA_FOR_MODE,
  requestForTrace,
  RESPONSE_PROMPTS,
  ROUTER_PROMPT,
  sendsImages,
  TITLE_PROMPT,
  toMessages,
} from '@/lib/llm/prompts';
import { createThinkTagSplitter, reasoningOfDelta } from '@/lib/llm/reasoning';
import { ignoreCall, type ChatModel, type ResponsePart } from '@/lib/llm/types';
import { toUpstreamError } from '@/lib/llm/upstream-errors';
import { startModelCallSpan } from '@/lib/telemetry/spans';

export type OpenAIModelOptions = {
  client: OpenAI;
  chatModel: string;
  routerModel: string;
  /** Writes conversation titles: TITLE_MODEL, else the router's model. */
  titleModel: string;
  /** Longest silence allowed between two chunks: the SDK's own timeout stops counting once headers arrive. */
  idleTimeoutMs: number;
  /** Put prompts and answers on the model-call spans (OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT). */
  captureContent?: boolean;
};

/** The server's count, when it gave one. */
const reportedUsage = (usage: OpenAI.CompletionUsage | null | undefined): TokenUsage | null =>
  usage ? { input: usage.prompt_tokens, output: usage.completion_tokens, estimated: false } : null;

/** An AbortSignal that fires when the caller aborts or when `idleMs` pass without `touch()`. */
function idleAbort(signal: AbortSignal, idleMs: number) {
  const controller = new AbortController();
  let timedOut = false;
  const onAbort = () => controller.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new Error('upstream idle timeout'));
  }, idleMs);
  // Restarted on every chunk: `refresh` moves the one timer instead of making a new one per token.
  const touch = () => void timer.refresh();
  return {
    signal: controller.signal,
    touch,
    get timedOut() {
      return timedOut;
    },
    dispose() {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    },
  };
}

export function createOpenAIModel({ client, chatModel, routerModel, titleModel, idleTimeoutMs, captureContent = false }: OpenAIModelOptions): ChatModel {
  /** A model call's span; its messages as the trace keeps them (images cut short). */
  const spanFor = (request: { model: string; messages: ModelMessage[] }) =>
    startModelCallSpan({ operation: 'chat', provider: 'openai', model: request.model, messages: requestForTrace(request).messages, captureContent });

  /**
   * One answer in a single response (the router's, a title), in a span of its own, its failures as the contract's
   * upstream errors.
   */
  const complete = async (request: OpenAI.ChatCompletionCreateParamsNonStreaming & { messages: ModelMessage[] }, signal: AbortSignal) => {
    const watch = idleAbort(signal, idleTimeoutMs);
    const span = spanFor(request);
    let text = '';
    try {
      // In the call's context: the HTTP request's own span (Next.js's fetch) goes under it.
      const completion = await span.within(() => client.chat.completions.create(request, { signal: watch.signal, headers: span.headers }));
      span.firstToken();
      const choice = completion.choices?.[0];
      text = choice?.message?.content ?? '';
      span.response(completion.model, choice?.finish_reason);
      const usage = reportedUsage(completion.usage);
      if (usage) span.usage(usage);
      return completion;
    } catch (error) {
      const upstream = toUpstreamError(error, signal, watch.timedOut);
      span.fail(upstream);
      throw upstream;
    } finally {
      watch.dispose();
      span.end({ text });
    }
  };

  return {
    provider: 'openai',
    chatModel,
    routerModel,

    async decideMode(history, signal, observe = ignoreCall) {
      const request = {
        model: routerModel,
        messages: toMessages(ROUTER_PROMPT, history),
        temperature: 0,
        response_format: {
          type: 'json_schema' as const,
          json_schema: { name: 'mode', strict: true, schema: JSON_SCHEMA_FOR_MODE },
        },
      };
      observe({ type: 'request', request });
      const completion = await complete(request, signal);
      observe({ type: 'first_token' });
      const content = completion.choices?.[0]?.message?.content ?? '';
      observe({ type: 'usage', usage: reportedUsage(completion.usage) ?? estimatedUsage(request.messages, content) });
      try {
        return JSON.parse(content) as unknown;
      } catch {
        return content;
      }
    },

    async *streamResponse(step, history, signal, observe = ignoreCall) {
      const watch = idleAbort(signal, idleTimeoutMs);
      const request = {
        model: chatModel,
        messages: toMessages(RESPONSE_PROMPTS[step], history),
        stream: true as const,
        // The last chunk then carries the token counts (servers that do not know the option ignore it).
        stream_options: { include_usage: true },
      };
      // Everything the model wrote, reasoning included: what an estimate of its output tokens counts.
      let written = '';
      // What the answer and its reasoning were, for the span when content capture is on.
      let answer = '';
      let thought = '';
      const record = (part: ResponsePart): ResponsePart => {
        if (!captureContent) return part;
        if (part.type === 'text') answer += part.text;
        else thought += part.text;
        return part;
      };
      let usage: TokenUsage | null = null;
      const thinkTags = createThinkTagSplitter();
      const withImages = sendsImages(request.messages);
      const span = spanFor(request);
      try {
        observe({ type: 'request', request: requestForTrace(request) });
        const stream = await span.within(() => client.chat.completions.create(request, { signal: watch.signal, headers: span.headers }));
        for await (const chunk of stream) {
          watch.touch();
          if (!Array.isArray(chunk.choices)) {
            throw new AppError('upstream_malformed', 'The model provider sent a chunk without choices.');
          }
          usage = reportedUsage(chunk.usage) ?? usage;
          const choice = chunk.choices[0];
          if (choice?.finish_reason || written === '') span.response(chunk.model, choice?.finish_reason);
          const delta = choice?.delta;
          const reasoning = reasoningOfDelta(delta);
          const content = delta?.content ?? '';
          if (reasoning === '' && content === '') continue;
          if (written === '') {
            observe({ type: 'first_token' });
            span.firstToken();
          }
          written += reasoning + content;
          if (reasoning) yield record({ type: 'reasoning', text: reasoning });
          if (content) for (const part of thinkTags.push(content)) yield record(part);
        }
        for (const part of thinkTags.end()) yield record(part);
        // An aborted stream ends its loop quietly: a timeout must still surface as an error.
        if (watch.timedOut) throw new AppError('upstream_timeout');
      } catch (error) {
        if (signal.aborted && !watch.timedOut) return;
        const upstream = toUpstreamError(error, signal, watch.timedOut, { withImages });
        span.fail(upstream);
        throw upstream;
      } finally {
        watch.dispose();
        // Cut short or complete, the step used tokens: counted when the server said, estimated when it did not.
        if (written !== '' || usage) {
          const used = usage ?? estimatedUsage(request.messages, written);
          observe({ type: 'usage', usage: used });
          span.usage(used);
        }
        span.end({ text: answer, ...(thought ? { reasoning: thought } : {}) });
      }
    },

    async writeTitle(prompt, signal) {
      const request = { model: titleModel, messages: toMessages(TITLE_PROMPT, [{ role: 'user', content: prompt }]), temperature: 0.2 };
      const completion = await complete(request, signal);
      return completion.choices?.[0]?.message?.content ?? '';
    },
  };
}
