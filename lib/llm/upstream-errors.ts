import 'server-only';
import { APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import { AppError } from '@/lib/errors';

/** What a person can do about the usual refusals; the status code is always shown. */
const STATUS_HINTS: Record<number, string> = {
  401: 'Check OPENAI_API_KEY.',
  403: 'Check OPENAI_API_KEY and what it is allowed to use.',
  404: 'Check CHAT_MODEL, ROUTER_MODEL and OPENAI_BASE_URL.',
  429: 'It is rate-limiting requests; try again shortly.',
};

/** Maps whatever the SDK threw to the contract's upstream codes; details go to the log, not the client. */
export function toUpstreamError(error: unknown, signal?: AbortSignal, timedOut = false): AppError {
  if (error instanceof AppError) return error;
  if (timedOut || error instanceof APIConnectionTimeoutError) {
    return new AppError('upstream_timeout', undefined, { cause: error });
  }
  console.error('[sluice] upstream error', error);
  if (error instanceof APIUserAbortError && signal?.aborted) {
    return new AppError('upstream_error', 'The request to the model provider was cancelled.', { cause: error });
  }
  if (error instanceof APIError && typeof error.status === 'number') {
    const hint = STATUS_HINTS[error.status];
    const message = `The model provider answered with HTTP ${error.status}.${hint ? ` ${hint}` : ''}`;
    return new AppError('upstream_error', message, { cause: error });
  }
  return new AppError('upstream_error', undefined, { cause: error });
}
