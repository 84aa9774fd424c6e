import 'server-only';
import OpenAI from 'openai';
import { usesDemoModel, type Env } from '@/lib/env';
import { createDemoModel } from '@/lib/llm/demo-model';
import { createOpenAIModel } from '@/lib/llm/openai-model';
import { createSafetyCheck } from '@/lib/llm/safety';
import type { ChatModel, SafetyCheck } from '@/lib/llm/types';

export type Models = { chat: ChatModel; safety: SafetyCheck; fixedTextDelayMs: number };

export function createModels(env: Env): Models {
  if (usesDemoModel(env)) {
    return {
      chat: createDemoModel(env.DEMO_TOKEN_DELAY_MS),
      safety: createSafetyCheck(env, null),
      fixedTextDelayMs: env.DEMO_TOKEN_DELAY_MS,
    };
  }
  const client = new OpenAI({
    // Servers such as Ollama or vLLM accept any key; the SDK insists on one being set.
    apiKey: env.OPENAI_API_KEY ?? 'not-needed',
    baseURL: env.OPENAI_BASE_URL,
    maxRetries: env.UPSTREAM_MAX_RETRIES,
    timeout: env.UPSTREAM_IDLE_TIMEOUT_MS,
  });
  return {
    chat: createOpenAIModel({
      client,
      chatModel: env.CHAT_MODEL,
      routerModel: env.ROUTER_MODEL ?? env.CHAT_MODEL,
      titleModel: env.TITLE_MODEL ?? env.ROUTER_MODEL ?? env.CHAT_MODEL,
      idleTimeoutMs: env.UPSTREAM_IDLE_TIMEOUT_MS,
      captureContent: env.OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT,
    }),
    safety: createSafetyCheck(env, client),
    fixedTextDelayMs: Math.min(env.DEMO_TOKEN_DELAY_MS, 20),
  };
}
