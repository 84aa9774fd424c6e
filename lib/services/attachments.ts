import 'server-only';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { cleanFileName, decideFileType, formatBytes, isImageType, MAX_TEXT_ATTACHMENT_BYTES, servedType } from '@/lib/attachments/file-type';
import type { Attachment } from '@/lib/contract';
import { findOwnedAttachment, findSharedAttachment, insertAttachment, type AttachmentBody } from '@/lib/db/queries/attachments';
import { getEnv } from '@/lib/env';
import { AppError } from '@/lib/errors';
import { fileDisposition } from '@/lib/export/file-name';
import { getAppProcess } from '@/lib/services/app-process';
import type { Session } from '@/lib/services/session';
import { parseShareToken } from '@/lib/services/shares';

/** What a multipart body may hold beyond its file: the boundaries and the part's headers (its file name). */
const MULTIPART_OVERHEAD_BYTES = 16 * 1024;

/** The request body, cut off once it passes `maxBytes`: the rest of an oversized upload is never read. */
function limitedBody(body: ReadableStream<Uint8Array>, maxBytes: number, tooLarge: () => AppError) {
  let size = 0;
  let overLimit = false;
  const stream = body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        size += chunk.byteLength;
        if (size > maxBytes) {
          overLimit = true;
          controller.error(tooLarge());
          return;
        }
        controller.enqueue(chunk);
      },
    }),
  );
  return { stream, overLimit: () => overLimit };
}

/** The one file of a `multipart/form-data` body (field `file`), read up to the largest file this server takes. */
async function readUploadedFile(request: Request, maxFileBytes: number): Promise<File> {
  const mediaType = request.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase();
  if (mediaType !== 'multipart/form-data') {
    throw new AppError('unsupported_media_type', 'Upload a file as multipart/form-data, in a field named "file".');
  }
  const maxBytes = maxFileBytes + MULTIPART_OVERHEAD_BYTES;
  const tooLarge = () => new AppError('attachment_too_large', `The file is too large: at most ${formatBytes(maxFileBytes)}.`);
  if (Number(request.headers.get('content-length') ?? NaN) > maxBytes) throw tooLarge();
  if (!request.body) throw new AppError('invalid_body', 'The upload holds no file: send it in a field named "file".');
  const body = limitedBody(request.body, maxBytes, tooLarge);
  let form: FormData;
  try {
    form = await new Response(body.stream, { headers: { 'content-type': request.headers.get('content-type')! } }).formData();
  } catch (error) {
    if (body.overLimit()) throw tooLarge();
    throw new AppError('invalid_body', 'The upload is not a readable multipart/form-data body.', { cause: error });
  }
  const files = form.getAll('file');
  const [file] = files;
  if (files.length !== 1 || !(file instanceof File)) {
    throw new AppError('invalid_body', 'Send exactly one file, in a field named "file".');
  }
  return file;
}

/**
 * Stores a file for the session's conversation, to go with a later prompt. Its type is decided from its bytes:
 * images (PNG, JPEG, WebP, GIF) up to ATTACHMENT_MAX_BYTES, text files (UTF-8) up to 1 MiB; anything else is 415.
 */
export async function uploadAttachment(session: Session, conversationId: string, request: Request): Promise<Attachment> {
  const maxImageBytes = getEnv().ATTACHMENT_MAX_BYTES;
  const file = await readUploadedFile(request, Math.max(maxImageBytes, MAX_TEXT_ATTACHMENT_BYTES));
  const data = new Uint8Array(await file.arrayBuffer());
  const name = cleanFileName(file.name);
  const decided = decideFileType(data, name, maxImageBytes);
  if (decided.kind === 'refused') throw new AppError(decided.code, decided.message);
  const attachment = { id: randomUUID(), name, type: decided.type, size: data.byteLength };
  const { db } = (await getAppProcess()).store;
  if (!(await insertAttachment(db, session.owner, { ...attachment, conversationId, data }))) throw new AppError('not_found');
  return attachment;
}

/** An attachment's id as given; anything else names no file (404). */
function parseAttachmentId(id: string): string {
  const parsed = z.uuid().safeParse(id);
  if (!parsed.success) throw new AppError('not_found', 'Attachment not found.');
  return parsed.data.toLowerCase();
}

/** A file as its owner downloads it; 404 for anyone else, and for an id that is not one. */
export async function findAttachment(session: Session, id: string): Promise<AttachmentBody> {
  const { db } = (await getAppProcess()).store;
  const found = await findOwnedAttachment(db, parseAttachmentId(id), session.owner);
  if (!found) throw new AppError('not_found', 'Attachment not found.');
  return found;
}

/** A file a shared conversation shows, for anyone with the link; 404 once the link is stopped. */
export async function findSharedFile(token: string, id: string): Promise<AttachmentBody> {
  const { db } = (await getAppProcess()).store;
  const found = await findSharedAttachment(db, parseShareToken(token), parseAttachmentId(id));
  if (!found) throw new AppError('not_found', 'Attachment not found.');
  return found;
}

/**
 * The bytes with the type decided at upload, never sniffed again by the browser, and nothing in them allowed to
 * run: images shown inline, anything else downloaded.
 */
export function attachmentResponse(file: AttachmentBody): Response {
  return new Response(Buffer.from(file.data), {
    headers: {
      'Content-Type': servedType(file.type),
      'Content-Length': String(file.data.byteLength),
      'Content-Disposition': fileDisposition(isImageType(file.type) ? 'inline' : 'attachment', file.name),
      'X-Content-Type-Options': 'nosniff',
      'Content-Security-Policy': "default-src 'none'; sandbox",
      'Cache-Control': 'private, max-age=3600',
    },
  });
}
