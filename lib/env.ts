import 'server-only';
import { z } from 'zod';

const emptyToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const optionalString = z.preprocess(emptyToUndefined, z.string().optional());
const intWithDefault = (fallback: number, min = 0) =>
  z.preprocess(emptyToUndefined, z.coerce.number().int().min(min).default(fallback));

const EnvSchema = z.object({
  OPENAI_API_KEY: optionalString,
  OPENAI_BASE_URL: z.preprocess(emptyToUndefined, z.url().optional()),
  CHAT_MODEL: z.preprocess(emptyToUndefined, z.string().default('gpt-4o-mini')),
  ROUTER_MODEL: optionalString,
  DEMO_TOKEN_DELAY_MS: intWithDefault(35),
  SAFETY_CHECK: z.preprocess(emptyToUndefined, z.enum(['moderation', 'rules', 'off']).optional()),
  PRE_STEPS: z.preprocess(emptyToUndefined, z.enum(['parallel', 'sequential']).default('parallel')),
  MAX_PROMPT_BYTES: intWithDefault(32 * 1024, 1),
  UPSTREAM_IDLE_TIMEOUT_MS: intWithDefault(60_000, 1),
  UPSTREAM_MAX_RETRIES: intWithDefault(2),
  SSE_PING_INTERVAL_MS: intWithDefault(15_000, 10),
  RATE_LIMIT_RUNS: intWithDefault(30, 1),
  RATE_LIMIT_WINDOW_S: intWithDefault(60, 1),
  DATA_DIR: z.preprocess(emptyToUndefined, z.string().default('.data')),
  DATABASE_URL: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'DATABASE_URL must be a postgres:// URL')
      .optional(),
  ),
  /** Several instances: the live fan-out of runs goes through Redis Streams (PostgreSQL holds the record). */
  REDIS_URL: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .regex(/^rediss?:\/\//, 'REDIS_URL must be a redis:// or rediss:// URL')
      .optional(),
  ),
  /** How long a run's producer may go silent before readers elsewhere declare it lost. */
  RUN_LEASE_MS: intWithDefault(5000, 500),
  /** How long the end of a turn is retried while the store is unavailable (ms). */
  STORE_RETRY_MS: intWithDefault(10_000, 0),
}).refine((env) => !env.REDIS_URL || env.DATABASE_URL, {
  message: 'REDIS_URL needs DATABASE_URL: instances that share Redis must share one PostgreSQL too (PGlite lives in one process).',
  path: ['REDIS_URL'],
});

export type Env = z.infer<typeof EnvSchema>;
export type PreSteps = Env['PRE_STEPS'];

let cached: Env | undefined;

/** Parsed once per process; a bad value fails loudly at first use instead of deep inside a request. */
export function getEnv(): Env {
  if (!cached) {
    const parsed = EnvSchema.safeParse(process.env);
    if (!parsed.success) {
      throw new Error(`Invalid environment: ${z.prettifyError(parsed.error)}`);
    }
    cached = parsed.data;
  }
  return cached;
}

export function usesDemoModel(env: Env = getEnv()): boolean {
  return !env.OPENAI_API_KEY && !env.OPENAI_BASE_URL;
}
