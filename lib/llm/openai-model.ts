import 'server-only';
import OpenAI from 'openai';
import { AppError } from '@/lib/errors';
import { JSON_SCHEMA_FOR_MODE, RESPONSE_PROMPTS, ROUTER_PROMPT } from '@/lib/llm/prompts';
import type { ChatModel, ChatTurn } from '@/lib/llm/types';
import { toUpstreamError } from '@/lib/llm/upstream-errors';

export type OpenAIModelOptions = {
  client: OpenAI;
  chatModel: string;
  routerModel: string;
  /** Longest silence allowed between two chunks: the SDK's own timeout stops counting once headers arrive. */
  idleTimeoutMs: number;
};

const toMessages = (system: string, history: ChatTurn[]): OpenAI.ChatCompletionMessageParam[] => [
  { role: 'system', content: system },
  ...history.map((turn) => ({ role: turn.role, content: turn.content })),
];

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

export function createOpenAIModel({ client, chatModel, routerModel, idleTimeoutMs }: OpenAIModelOptions): ChatModel {
  return {
    provider: 'openai',
    chatModel,
    routerModel,

    async decideMode(history, signal) {
      const watch = idleAbort(signal, idleTimeoutMs);
      try {
        const completion = await client.chat.completions.create(
          {
            model: routerModel,
            messages: toMessages(ROUTER_PROMPT, history),
            temperature: 0,
            response_format: {
              type: 'json_schema',
              json_schema: { name: 'mode', strict: true, schema: JSON_SCHEMA_FOR_MODE },
            },
          },
          { signal: watch.signal },
        );
        const content = completion.choices?.[0]?.message?.content ?? '';
        try {
          return JSON.parse(content) as unknown;
        } catch {
          return content;
        }
      } catch (error) {
        throw toUpstreamError(error, signal, watch.timedOut);
      } finally {
        watch.dispose();
      }
    },

    async *streamResponse(step, history, signal) {
      const watch = idleAbort(signal, idleTimeoutMs);
      try {
        const stream = await client.chat.completions.create(
          { model: chatModel, messages: toMessages(RESPONSE_PROMPTS[step], history), stream: true },
          { signal: watch.signal },
        );
        for await (const chunk of stream) {
          watch.touch();
          if (!Array.isArray(chunk.choices)) {
            throw new AppError('upstream_malformed', 'The model provider sent a chunk without choices.');
          }
          const delta = chunk.choices[0]?.delta?.content;
          if (delta) yield delta;
        }
        // An aborted stream ends its loop quietly: a timeout must still surface as an error.
        if (watch.timedOut) throw new AppError('upstream_timeout');
      } catch (error) {
        if (signal.aborted && !watch.timedOut) return;
        throw toUpstreamError(error, signal, watch.timedOut);
      } finally {
        watch.dispose();
      }
    },
  };
}
