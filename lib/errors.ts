import { causeChain } from '@/lib/cause-chain';
import type { ErrorCode, ErrorInfo } from '@/lib/contract';
import { isStoreUnavailable } from '@/lib/db/store-errors';

/** The one error class: every failure that reaches a client carries one of the contract's codes. */
export class AppError extends Error {
  /** When to try again, sent as `Retry-After` (`rate_limited`, `store_unavailable`). */
  readonly retryAfterS: number | undefined;

  constructor(
    readonly code: ErrorCode,
    message?: string,
    options?: { cause?: unknown; retryAfterS?: number },
  ) {
    super(message ?? ERRORS[code].message, options);
    this.name = 'AppError';
    this.retryAfterS = options?.retryAfterS ?? ERRORS[code].retryAfterS;
  }

  get status(): number {
    return ERRORS[this.code].status;
  }

  toInfo(): ErrorInfo {
    return { code: this.code, message: this.message };
  }
}

/** The one table from error codes to HTTP statuses and default messages. */
export const ERRORS: Record<ErrorCode, { status: number; message: string; retryAfterS?: number }> = {
  invalid_json: { status: 400, message: 'The request body is not valid JSON.' },
  invalid_prompt: { status: 400, message: 'The prompt must be a non-blank string of valid Unicode.' },
  invalid_body: { status: 400, message: 'The request body does not have the expected fields.' },
  invalid_query: { status: 400, message: 'A parameter of the query string is not valid.' },
  invalid_event_id: { status: 400, message: 'Last-Event-ID must be the id of an event of this run (a whole number).' },
  prompt_too_large: { status: 413, message: 'The prompt is too large.' },
  body_too_large: { status: 413, message: 'The request body is too large.' },
  attachment_too_large: { status: 413, message: 'The file is too large.' },
  unsupported_media_type: { status: 415, message: 'The request body must be application/json.' },
  forbidden_origin: { status: 403, message: 'Requests that change something must come from this site.' },
  not_found: { status: 404, message: 'Conversation not found.' },
  method_not_allowed: { status: 405, message: 'Method not allowed.' },
  run_in_progress: { status: 409, message: 'A run is already in progress in this conversation.' },
  no_run: { status: 409, message: 'Nothing is running in this conversation.' },
  rate_limited: { status: 429, message: 'Too many prompts in a short time. Wait a little, then send it again.' },
  upstream_error: { status: 502, message: 'The model provider failed to answer.' },
  upstream_timeout: { status: 504, message: 'The model provider did not answer in time.' },
  upstream_rate_limited: {
    status: 503,
    message: 'The model provider is rate-limiting requests (HTTP 429). Try again shortly; if it keeps happening, check the limits of the key in OPENAI_API_KEY.',
  },
  upstream_malformed: { status: 502, message: 'The model provider sent a reply that could not be read. Check that OPENAI_BASE_URL points at an OpenAI-compatible API.' },
  internal_error: { status: 500, message: 'Something went wrong on our side.' },
  producer_lost: {
    status: 503,
    message: 'The server writing this answer stopped. What it had written is stored; send the prompt again to continue.',
  },
  stream_unavailable: { status: 503, message: 'The live stream store (Redis) is unreachable. What was written so far is stored; try again shortly.' },
  store_unavailable: {
    status: 503,
    message: 'The database is unavailable right now: nothing was changed. Try again in a few seconds.',
    retryAfterS: 5,
  },
  sign_in_off: { status: 404, message: 'Sign-in is not set up on this server (AUTH_OIDC_ISSUER is unset).' },
  sign_in_failed: { status: 400, message: 'Sign-in could not be completed (it was refused, changed on the way, or took too long). Sign in again.' },
  sign_in_unavailable: { status: 503, message: 'The sign-in provider could not be reached. Try again shortly.', retryAfterS: 5 },
};

/**
 * An AppError anywhere on the cause chain (drizzle wraps what the driver threw) is the error; a store that cannot
 * be reached or cannot write is `store_unavailable`; anything else is internal: logged in full, shown only as a
 * generic message.
 */
export function toAppError(error: unknown): AppError {
  for (const current of causeChain(error)) {
    if (current instanceof AppError) return current;
  }
  if (isStoreUnavailable(error)) {
    console.warn(JSON.stringify({ level: 'warn', event: 'store_unavailable', cause: String(error instanceof Error ? (error.cause ?? error) : error) }));
    return new AppError('store_unavailable', undefined, { cause: error });
  }
  console.error('[sluice] internal error', error);
  return new AppError('internal_error', undefined, { cause: error });
}

/** For pages, where finding nothing is a 404 page rather than an error: `work`'s result, or null on `not_found`. */
export async function nullIfNotFound<T>(work: () => Promise<T>): Promise<T | null> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof AppError && error.code === 'not_found') return null;
    throw error;
  }
}
