import 'server-only';
import { EXPORT_FORMAT, type ExportDocument } from '@/lib/contract';
import { findConversation, forkOriginOf } from '@/lib/db/queries/conversations';
import { insertImportedConversation } from '@/lib/db/queries/imports';
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
  return { body: JSON.stringify(document, null, 2), contentType: 'application/json', disposition: attachmentDisposition(row.title, 'json') };
}

/** The largest document an import takes (MAX_IMPORT_BYTES). */
export async function maxImportBytes(): Promise<number> {
  return (await getAppProcess()).env.MAX_IMPORT_BYTES;
}

/** An exported conversation, brought back as a new conversation of the session. */
export async function importConversation(session: Session, document: ExportDocument): Promise<{ id: string }> {
  const { db } = (await getAppProcess()).store;
  return { id: await insertImportedConversation(db, session.owner, document) };
}
