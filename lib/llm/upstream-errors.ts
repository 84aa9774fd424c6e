import 'server-only';
import { APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import { AppError } from '@/lib/errors';

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
    return new AppError('upstream_error', `The model provider answered with HTTP ${error.status}.`, { cause: error });
  }
  return new AppError('upstream_error', undefined, { cause: error });
}
