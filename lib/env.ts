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
  TITLE_MODEL: optionalString,
  DEMO_TOKEN_DELAY_MS: intWithDefault(35),
  SAFETY_CHECK: z.preprocess(emptyToUndefined, z.enum(['moderation', 'rules', 'off']).optional()),
  PRE_STEPS: z.preprocess(emptyToUndefined, z.enum(['parallel', 'sequential']).default('parallel')),
  MAX_PROMPT_BYTES: intWithDefault(32 * 1024, 1),
  /** The largest conversation document `POST /api/conversations/import` takes. */
  MAX_IMPORT_BYTES: intWithDefault(20 * 1024 * 1024, 1),
  /** The largest image a prompt takes (text files: at most 1 MiB, whatever this says). */
  ATTACHMENT_MAX_BYTES: intWithDefault(5 * 1024 * 1024, 1),
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
  /** Sign-in with an OpenID Connect provider: all unset, everyone is an anonymous session. */
  AUTH_OIDC_ISSUER: z.preprocess(emptyToUndefined, z.url().optional()),
  AUTH_OIDC_CLIENT_ID: optionalString,
  /** Unset for a public client (PKCE alone). */
  AUTH_OIDC_CLIENT_SECRET: optionalString,
  AUTH_SECRET: z.preprocess(emptyToUndefined, z.string().min(32, 'AUTH_SECRET must be at least 32 characters (e.g. `openssl rand -base64 32`)').optional()),
  /** The app's public base URL, as the browser sees it: the callback registered at the provider is built on it. */
  APP_URL: z.preprocess(emptyToUndefined, z.url().optional()),
  /** Either turns tracing on: the SDK reads these and the other standard OTEL_* variables itself. */
  OTEL_EXPORTER_OTLP_ENDPOINT: optionalString,
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: optionalString,
  OTEL_SERVICE_NAME: z.preprocess(emptyToUndefined, z.string().default('sluice')),
  /** `http/protobuf` (the default) or `http/json`; the traces' own setting wins over the general one. */
  OTEL_EXPORTER_OTLP_PROTOCOL: z.preprocess(emptyToUndefined, z.enum(['http/protobuf', 'http/json']).default('http/protobuf')),
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: z.preprocess(emptyToUndefined, z.enum(['http/protobuf', 'http/json']).optional()),
  /** Prompts and answers go into the model-call spans only when this is `true`. */
  OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: z.preprocess(
    (value) => (typeof value === 'string' ? value.trim().toLowerCase() === 'true' : false),
    z.boolean(),
  ),
})
  .refine((env) => !env.REDIS_URL || env.DATABASE_URL, {
    message: 'REDIS_URL needs DATABASE_URL: instances that share Redis must share one PostgreSQL too (PGlite lives in one process).',
    path: ['REDIS_URL'],
  })
  .refine((env) => !env.AUTH_OIDC_ISSUER || (env.AUTH_OIDC_CLIENT_ID && env.AUTH_SECRET && env.APP_URL), {
    message: 'AUTH_OIDC_ISSUER needs AUTH_OIDC_CLIENT_ID, AUTH_SECRET and APP_URL too.',
    path: ['AUTH_OIDC_ISSUER'],
  });

export type Env = z.infer<typeof EnvSchema>;
export type PreSteps = Env['PRE_STEPS'];

let cached: Env | undefined;

/** The settings in `source`, or an error that names each bad or missing variable. */
export function parseEnv(source: Record<string, string | undefined>): Env {
  const parsed = EnvSchema.safeParse(source);
  if (!parsed.success) throw new Error(`Invalid environment: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** Parsed once per process; a bad value fails loudly at first use instead of deep inside a request. */
export function getEnv(): Env {
  cached ??= parseEnv(process.env);
  return cached;
}

/** Whether runs and model calls are traced over OTLP. */
export const tracingEnabled = (env: Env = getEnv()) => Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);

export function usesDemoModel(env: Env = getEnv()): boolean {
  return !env.OPENAI_API_KEY && !env.OPENAI_BASE_URL;
}

export type OidcSettings = { issuer: URL; clientId: string; clientSecret: string | undefined; secret: string; appUrl: URL };

/** Sign-in settings, or null when sign-in is off (no AUTH_OIDC_ISSUER): then nothing about accounts shows. */
export function oidcSettings(env: Env = getEnv()): OidcSettings | null {
  if (!env.AUTH_OIDC_ISSUER || !env.AUTH_OIDC_CLIENT_ID || !env.AUTH_SECRET || !env.APP_URL) return null;
  return {
    issuer: new URL(env.AUTH_OIDC_ISSUER),
    clientId: env.AUTH_OIDC_CLIENT_ID,
    clientSecret: env.AUTH_OIDC_CLIENT_SECRET,
    secret: env.AUTH_SECRET,
    appUrl: new URL(env.APP_URL),
  };
}
