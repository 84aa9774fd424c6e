import 'server-only';
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import { AppError } from '@/lib/errors';

/** What a person can do about the usual refusals; the status code is always shown. */
const STATUS_HINTS: Record<number, string> = {
  401: 'Check OPENAI_API_KEY.',
  403: 'Check OPENAI_API_KEY and what it is allowed to use.',
  404: 'Check CHAT_MODEL, ROUTER_MODEL and OPENAI_BASE_URL.',
};

/** A client error that is not about the key, the model's name or the rate: with images sent, most likely them. */
const refusesImages = (status: number) => status >= 400 && status < 500 && ![401, 403, 404, 429].includes(status);

function classify(error: unknown, signal: AbortSignal | undefined, timedOut: boolean, withImages: boolean): AppError {
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
    const hint = withImages && refusesImages(error.status) ? 'The model may not accept images: set CHAT_MODEL to a model that does.' : STATUS_HINTS[error.status];
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
export function toUpstreamError(error: unknown, signal?: AbortSignal, timedOut = false, { withImages = false } = {}): AppError {
  const appError = classify(error, signal, timedOut, withImages);
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
