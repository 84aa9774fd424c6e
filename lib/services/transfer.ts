import 'server-only';
import { randomUUID } from 'node:crypto';
import { cleanFileName, decideFileType } from '@/lib/attachments/file-type';
import { EXPORT_FORMAT, type ExportDocument } from '@/lib/contract';
import { findConversation, forkOriginOf } from '@/lib/db/queries/conversations';
import { insertImportedConversation } from '@/lib/db/queries/imports';
import { listSentAttachments, type AttachmentBody } from '@/lib/db/queries/attachments';
import { listMessages } from '@/lib/db/queries/messages';
import { listRunTraces } from '@/lib/db/queries/traces';
import { AppError } from '@/lib/errors';
import { attachmentDisposition } from '@/lib/export/file-name';
import { conversationToMarkdown } from '@/lib/export/markdown';
import { getAppProcess } from '@/lib/services/app-process';
import type { Session } from '@/lib/services/session';

export type ExportedFile = { body: string; contentType: string; disposition: string };

/**
 * The session's conversation as a file to download: Markdown to read, or the JSON document import takes back (the
 * conversation, its messages and its runs with their steps). 404 as for any conversation not the session's.
 */
export async function exportConversation(session: Session, id: string, format: 'markdown' | 'json'): Promise<ExportedFile> {
  const { db } = (await getAppProcess()).store;
  const row = await findConversation(db, id, session.owner);
  if (!row) throw new AppError('not_found');
  const messages = await listMessages(db, id);
  if (format === 'markdown') {
    return {
      body: conversationToMarkdown(row.title, messages, new Date()),
      contentType: 'text/markdown; charset=utf-8',
      disposition: attachmentDisposition(row.title, 'md'),
    };
  }
  const parent = forkOriginOf(row);
  const document: ExportDocument = {
    format: EXPORT_FORMAT,
    version: 1,
    conversation: { title: row.title, createdAt: row.createdAt.toISOString(), ...(parent ? { parent } : {}) },
    messages,
    runs: await listRunTraces(db, id),
  };
  const files = await listSentAttachments(db, id);
  if (files.length > 0) {
    document.attachments = files.map(({ data, ...file }) => ({ ...file, data: Buffer.from(data).toString('base64') }));
  }
  return { body: JSON.stringify(document, null, 2), contentType: 'application/json', disposition: attachmentDisposition(row.title, 'json') };
}

/** The largest document an import takes (MAX_IMPORT_BYTES). */
export async function maxImportBytes(): Promise<number> {
  return (await getAppProcess()).env.MAX_IMPORT_BYTES;
}

/**
 * The document's files as they are stored: each gets a new id (a document is never trusted to name a file of this
 * server), and its type is decided again from its bytes, as for an upload; a file that would be refused, or whose
 * size is not its bytes', is 400 `invalid_body` saying which.
 */
function importedFiles(document: ExportDocument, maxImageBytes: number): Map<string, AttachmentBody> {
  const files = new Map<string, AttachmentBody>();
  for (const [index, file] of (document.attachments ?? []).entries()) {
    const data = new Uint8Array(Buffer.from(file.data, 'base64'));
    const where = `attachments[${index}]`;
    if (data.byteLength !== file.size) throw new AppError('invalid_body', `${where}.size: is ${file.size}, but the file holds ${data.byteLength} bytes`);
    const name = cleanFileName(file.name);
    const decided = decideFileType(data, name, maxImageBytes);
    if (decided.kind === 'refused') throw new AppError('invalid_body', `${where}: ${decided.message}`);
    files.set(file.id, { id: randomUUID(), name, type: decided.type, size: data.byteLength, data });
  }
  return files;
}

/** An exported conversation, brought back as a new conversation of the session. */
export async function importConversation(session: Session, document: ExportDocument): Promise<{ id: string }> {
  const { store, env } = await getAppProcess();
  const files = importedFiles(document, env.ATTACHMENT_MAX_BYTES);
  return { id: await insertImportedConversation(store.db, session.owner, document, files) };
}
