import 'server-only';
import OpenAI from 'openai';
import type { TokenUsage } from '@/lib/contract';
import { AppError } from '@/lib/errors';
import {
  estimatedUsage,
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

export type OpenAIModelOptions = {
  client: OpenAI;
  chatModel: string;
  routerModel: string;
  /** Writes conversation titles: TITLE_MODEL, else the router's model. */
  titleModel: string;
  /** Longest silence allowed between two chunks: the SDK's own timeout stops counting once headers arrive. */
  idleTimeoutMs: number;
};

/** The server's count, when it gave one. */
const reportedUsage = (usage: OpenAI.CompletionUsage | null | undefined): TokenUsage | null =>
  usage ? { input: usage.prompt_tokens, output: usage.completion_tokens, estimated: false } : null;

/** An AbortSignal that fires when the caller aborts or when `idleMs` pass without `touch()`. */
function idleAbort(signal: AbortSignal, idleMs: number) {
  const controller = new AbortController();
  let timedOut = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const onAbort = () => controller.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  const touch = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new Error('upstream idle timeout'));
    }, idleMs);
  };
  touch();
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

export function createOpenAIModel({ client, chatModel, routerModel, titleModel, idleTimeoutMs }: OpenAIModelOptions): ChatModel {
  /** One answer in a single response (the router's, a title), its failures as the contract's upstream errors. */
  const complete = async (request: OpenAI.ChatCompletionCreateParamsNonStreaming, signal: AbortSignal) => {
    const watch = idleAbort(signal, idleTimeoutMs);
    try {
      return await client.chat.completions.create(request, { signal: watch.signal });
    } catch (error) {
      throw toUpstreamError(error, signal, watch.timedOut);
    } finally {
      watch.dispose();
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
      let usage: TokenUsage | null = null;
      const thinkTags = createThinkTagSplitter();
      const withImages = sendsImages(request.messages);
      try {
        observe({ type: 'request', request: requestForTrace(request) });
        const stream = await client.chat.completions.create(request, { signal: watch.signal });
        for await (const chunk of stream) {
          watch.touch();
          if (!Array.isArray(chunk.choices)) {
            throw new AppError('upstream_malformed', 'The model provider sent a chunk without choices.');
          }
          usage = reportedUsage(chunk.usage) ?? usage;
          const delta = chunk.choices[0]?.delta;
          const reasoning = reasoningOfDelta(delta);
          const content = delta?.content ?? '';
          if (reasoning === '' && content === '') continue;
          if (written === '') observe({ type: 'first_token' });
          written += reasoning + content;
          if (reasoning) yield { type: 'reasoning', text: reasoning } satisfies ResponsePart;
          if (content) yield* thinkTags.push(content);
        }
        yield* thinkTags.end();
        // An aborted stream ends its loop quietly: a timeout must still surface as an error.
        if (watch.timedOut) throw new AppError('upstream_timeout');
      } catch (error) {
        if (signal.aborted && !watch.timedOut) return;
        throw toUpstreamError(error, signal, watch.timedOut, { withImages });
      } finally {
        watch.dispose();
        // Cut short or complete, the step used tokens: counted when the server said, estimated when it did not.
        if (written !== '' || usage) observe({ type: 'usage', usage: usage ?? estimatedUsage(request.messages, written) });
      }
    },

    async writeTitle(prompt, signal) {
      const request = { model: titleModel, messages: toMessages(TITLE_PROMPT, [{ role: 'user', content: prompt }]), temperature: 0.2 };
      const completion = await complete(request, signal);
      return completion.choices?.[0]?.message?.content ?? '';
    },
  };
}
