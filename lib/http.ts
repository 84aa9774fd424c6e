import 'server-only';
import type { z } from 'zod';
import type { ErrorCode } from '@/lib/contract';
import { AppError, toAppError } from '@/lib/errors';

export const MAX_BODY_BYTES = 1024 * 1024;

export function errorResponse(error: unknown): Response {
  const appError = toAppError(error);
  const headers = appError.retryAfterS === undefined ? undefined : { 'Retry-After': String(appError.retryAfterS) };
  return Response.json({ error: appError.toInfo() }, { status: appError.status, headers });
}

type Handler<C> = (request: Request, context: C) => Promise<Response>;

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The host the browser asked for: behind a proxy it arrives as X-Forwarded-Host. */
export const requestHost = (headers: Headers): string | null => headers.get('x-forwarded-host') ?? headers.get('host');

/** The scheme the browser used, as a proxy in front says it (X-Forwarded-Proto), if one does. */
export const forwardedProto = (headers: Headers): string | undefined => headers.get('x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase();

/**
 * Refuses a state-changing request that a page on another site made the browser send (cross-site request
 * forgery): its `Sec-Fetch-Site` says cross-site, or its `Origin` names another host. Clients that send neither
 * (curl, servers) are not browsers acting for someone else, and pass.
 */
export function assertSameOrigin(request: Request): void {
  if (SAFE_METHODS.has(request.method)) return;
  if (request.headers.get('sec-fetch-site') === 'cross-site') throw new AppError('forbidden_origin');
  const origin = request.headers.get('origin');
  if (origin === null) return;
  const host = requestHost(request.headers);
  let originHost: string | null = null;
  try {
    originHost = new URL(origin).host;
  } catch {
    // `Origin: null` (sandboxed frames, some redirects) names no site of ours either.
  }
  if (!host || originHost !== host) throw new AppError('forbidden_origin');
}

/**
 * Every route handler is wrapped: cross-site state changes are refused, an AppError becomes its JSON error,
 * anything else a logged 500.
 */
export function handle<C>(handler: Handler<C>): Handler<C> {
  return async (request, context) => {
    try {
      assertSameOrigin(request);
      return await handler(request, context);
    } catch (error) {
      return errorResponse(error);
    }
  };
}

/** For the methods a route does not serve: the contract's 405 body rather than an empty one. */
export function methodNotAllowed(allowed: string[]) {
  return async () => {
    const response = errorResponse(new AppError('method_not_allowed'));
    response.headers.set('Allow', allowed.join(', '));
    return response;
  };
}

async function readBodyText(request: Request, maxBytes = MAX_BODY_BYTES): Promise<string> {
  const declared = Number(request.headers.get('content-length') ?? NaN);
  if (declared > maxBytes) throw new AppError('body_too_large');
  if (!request.body) return '';
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      // Stop reading: the rest of an oversized body is never buffered.
      await reader.cancel().catch(() => {});
      throw new AppError('body_too_large');
    }
    chunks.push(value);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw new AppError('invalid_json', 'The request body is not valid UTF-8.');
  }
}

/** The code of a body that does not fit its schema: one for all, or one by where in the body it went wrong. */
type InvalidCode = ErrorCode | ((path: PropertyKey[]) => ErrorCode);

/** Reads a JSON body: 415 unless it is JSON, 413 past `maxBytes` (1 MiB), 400 `invalid_json` when it does not parse,
 * and `invalidCode` when it does not fit `schema`. */
export async function readJsonBody<T extends z.ZodType>(request: Request, schema: T, invalidCode: InvalidCode, maxBytes = MAX_BODY_BYTES): Promise<z.infer<T>> {
  requireJson(request);
  return parseJsonText(await readBodyText(request, maxBytes), schema, invalidCode);
}

/** As readJsonBody, for a body that may be left out: an empty body reads as `{}`, whatever its media type. */
export async function readOptionalJsonBody<T extends z.ZodType>(request: Request, schema: T, invalidCode: InvalidCode): Promise<z.infer<T>> {
  const text = await readBodyText(request);
  if (text.trim() === '') return parseJsonText('{}', schema, invalidCode);
  requireJson(request);
  return parseJsonText(text, schema, invalidCode);
}

function requireJson(request: Request) {
  const mediaType = request.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase();
  if (mediaType !== 'application/json') throw new AppError('unsupported_media_type');
}

function parseJsonText<T extends z.ZodType>(text: string, schema: T, invalidCode: InvalidCode): z.infer<T> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new AppError('invalid_json');
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const [issue] = parsed.error.issues;
    // Where in a nested document it went wrong, as `messages[3].content`.
    const where = issue?.path.reduce<string>((at, key) => (typeof key === 'number' ? `${at}[${key}]` : at ? `${at}.${String(key)}` : String(key)), '');
    const named = issue && issue.path.length > 0 && issue.message.startsWith(String(issue.path.at(-1)));
    const code = typeof invalidCode === 'function' ? invalidCode(issue?.path ?? []) : invalidCode;
    throw new AppError(code, issue ? (where && !named ? `${where}: ${issue.message}` : issue.message) : undefined);
  }
  return parsed.data;
}
