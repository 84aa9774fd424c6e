import 'server-only';
import { and, asc, eq, sql } from 'drizzle-orm';
import type { Attachment, ChatItem, ResponseStep, TokenUsage } from '@/lib/contract';
import { messages, runSteps, type Db } from '@/lib/db/schema';

export type MessageRow = typeof messages.$inferSelect;
/** What a chat item is made of: a message row as selected, or as a statement returned it. */
export type ChatItemRow = Pick<MessageRow, 'id' | 'role' | 'content' | 'type' | 'mode' | 'status' | 'createdAt' | 'runId' | 'reasoning' | 'reasoningMs' | 'attachments'>;
export type NewMessage = Omit<ChatItem, 'createdAt'> & { conversationId: string; runId?: string };

export function toChatItem(row: ChatItemRow, tokens?: TokenUsage | null): ChatItem {
  return {
    id: row.id,
    role: row.role,
    content: row.content,
    type: row.type,
    ...(row.mode ? { mode: row.mode as ResponseStep } : {}),
    status: row.status,
    createdAt: row.createdAt.toISOString(),
    ...(row.runId ? { runId: row.runId } : {}),
    ...(tokens ? { tokens } : {}),
    ...(row.reasoning ? { reasoning: row.reasoning } : {}),
    ...(row.reasoning && row.reasoningMs !== null ? { reasoningMs: row.reasoningMs } : {}),
    ...(Array.isArray(row.attachments) && row.attachments.length > 0 ? { attachments: row.attachments as Attachment[] } : {}),
  };
}

/** The columns a chat item is made of (not the search document the store keeps beside them). */
const chatItemColumns = {
  id: messages.id,
  role: messages.role,
  content: messages.content,
  type: messages.type,
  mode: messages.mode,
  status: messages.status,
  createdAt: messages.createdAt,
  runId: messages.runId,
  reasoning: messages.reasoning,
  reasoningMs: messages.reasoningMs,
  attachments: messages.attachments,
};

/** A conversation's messages in order; an answer carries the tokens of the step that wrote it. */
export async function listMessages(db: Db, conversationId: string): Promise<ChatItem[]> {
  const rows = await db
    .select({ message: chatItemColumns, usage: runSteps.usage })
    .from(messages)
    .leftJoin(runSteps, and(eq(runSteps.runId, messages.runId), eq(runSteps.name, messages.mode)))
    .where(eq(messages.conversationId, conversationId))
    .orderBy(asc(messages.seq));
  return rows.map(({ message, usage }) => toChatItem(message, usage as TokenUsage | null));
}

/** The next value of the activity sequence: the conversation moves to the top of the list. */
export const NEXT_ACTIVITY = sql`nextval(pg_get_serial_sequence('conversations', 'activity'))`;
