import 'server-only';
import { and, asc, eq, inArray, isNotNull, isNull, sql } from 'drizzle-orm';
import type { Attachment } from '@/lib/contract';
import { selectRows } from '@/lib/db/queries/rows';
import { attachments, conversations, shares, type Db } from '@/lib/db/schema';

/** A file with its bytes: what the model is sent, and what its owner downloads. */
export type AttachmentBody = Attachment & { data: Uint8Array };

/** Stores an upload to the owner's conversation; false when the session has no such conversation. */
export async function insertAttachment(db: Db, ownerId: string, upload: AttachmentBody & { conversationId: string }): Promise<boolean> {
  // Both drivers take a Buffer as bytea.
  const data = Buffer.from(upload.data.buffer, upload.data.byteOffset, upload.data.byteLength);
  const rows = await selectRows<{ id: string }>(
    db,
    sql`
    insert into attachments (id, conversation_id, name, type, size, data)
    select ${upload.id}, id, ${upload.name}, ${upload.type}, ${upload.size}, ${data}
    from conversations where id = ${upload.conversationId} and owner_id = ${ownerId}
    returning id`,
  );
  return rows.length === 1;
}

/** A file for whoever owns a conversation holding it (a fork's copy under the same id serves as well); else null. */
export async function findOwnedAttachment(db: Db, id: string, ownerId: string): Promise<AttachmentBody | null> {
  const [row] = await db
    .select({ id: attachments.id, name: attachments.name, type: attachments.type, size: attachments.size, data: attachments.data })
    .from(attachments)
    .innerJoin(conversations, eq(conversations.id, attachments.conversationId))
    .where(and(eq(attachments.id, id), eq(conversations.ownerId, ownerId)))
    .limit(1);
  return row ?? null;
}

/** A file a shared conversation's messages show, for anyone with its link; null otherwise. */
export async function findSharedAttachment(db: Db, token: string, id: string): Promise<AttachmentBody | null> {
  const [row] = await db
    .select({ id: attachments.id, name: attachments.name, type: attachments.type, size: attachments.size, data: attachments.data })
    .from(attachments)
    .innerJoin(shares, eq(shares.conversationId, attachments.conversationId))
    .where(and(eq(shares.token, token), eq(attachments.id, id), isNotNull(attachments.usedAt)));
  return row ?? null;
}

/** The files a conversation's messages show (its uploads not sent yet left out), oldest first. */
export async function listSentAttachments(db: Db, conversationId: string): Promise<AttachmentBody[]> {
  return db
    .select({ id: attachments.id, name: attachments.name, type: attachments.type, size: attachments.size, data: attachments.data })
    .from(attachments)
    .where(and(eq(attachments.conversationId, conversationId), isNotNull(attachments.usedAt)))
    .orderBy(asc(attachments.createdAt), asc(attachments.id));
}

/** Of `ids`, the owner's uploads to this conversation that no prompt has taken yet. */
export async function findUnsentAttachments(db: Db, conversationId: string, ownerId: string, ids: string[]): Promise<Attachment[]> {
  if (ids.length === 0) return [];
  return db
    .select({ id: attachments.id, name: attachments.name, type: attachments.type, size: attachments.size })
    .from(attachments)
    .innerJoin(conversations, eq(conversations.id, attachments.conversationId))
    .where(
      and(eq(attachments.conversationId, conversationId), eq(conversations.ownerId, ownerId), inArray(attachments.id, ids), isNull(attachments.usedAt)),
    );
}

/**
 * The bytes of files by id, for a model call. Copies under one id are the same file (only uploads make ids; forks
 * and copies of shared conversations copy the bytes, and an import gives its files new ids), so any one serves; a
 * prompt can only name its own conversation's uploads.
 */
export async function loadAttachmentBodies(db: Db, ids: string[]): Promise<Map<string, AttachmentBody>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .selectDistinctOn([attachments.id], { id: attachments.id, name: attachments.name, type: attachments.type, size: attachments.size, data: attachments.data })
    .from(attachments)
    .where(inArray(attachments.id, ids));
  return new Map(rows.map((row) => [row.id, row]));
}
