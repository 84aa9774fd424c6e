import 'server-only';
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import { AppError } from '@/lib/errors';

/** What a person can do about the usual refusals; the status code is always shown. */
const STATUS_HINTS: Record<number, string> = {
  401: 'Check OPENAI_API_KEY.',
  403: 'Check OPENAI_API_KEY and what it is allowed to use.',
  404: 'Check CHAT_MODEL, ROUTER_MODEL and OPENAI_BASE_URL.',
};

function classify(error: unknown, signal: AbortSignal | undefined, timedOut: boolean): AppError {
  if (error instanceof AppError) return error;
  const cause = { cause: error };
  if (timedOut || error instanceof APIConnectionTimeoutError) return new AppError('upstream_timeout', undefined, cause);
  if (error instanceof APIUserAbortError && signal?.aborted) {
    return new AppError('upstream_error', 'The request to the model provider was cancelled.', cause);
  }
  // The SDK parses each streamed chunk as JSON: a chunk that is not JSON surfaces as a SyntaxError.
  if (error instanceof SyntaxError) return new AppError('upstream_malformed', undefined, cause);
  if (error instanceof APIError && error.status === 429) return new AppError('upstream_rate_limited', undefined, cause);
  if (error instanceof APIError && typeof error.status === 'number') {
    const hint = STATUS_HINTS[error.status];
    return new AppError('upstream_error', `The model provider answered with HTTP ${error.status}.${hint ? ` ${hint}` : ''}`, cause);
  }
  if (error instanceof APIConnectionError) {
    return new AppError('upstream_error', 'The model provider could not be reached. Check OPENAI_BASE_URL and that the server is up.', cause);
  }
  return new AppError('upstream_error', undefined, cause);
}

/**
 * Maps whatever a model call failed with to the contract's upstream codes, once the SDK's own retries are spent.
 * Each failure is logged here as one JSON line (a cancel is not a failure); details stay in the log.
 */
export function toUpstreamError(error: unknown, signal?: AbortSignal, timedOut = false): AppError {
  const appError = classify(error, signal, timedOut);
  if (!(error instanceof APIUserAbortError && signal?.aborted && !timedOut)) {
    const cause = appError.cause ?? error;
    console.error(
      JSON.stringify({
        level: 'error',
        event: 'upstream_failure',
        code: appError.code,
        message: appError.message,
        ...(cause instanceof APIError && cause.status ? { status: cause.status } : {}),
        ...(cause instanceof Error && cause !== appError ? { cause: `${cause.name}: ${cause.message}` } : {}),
      }),
    );
  }
  return appError;
}
