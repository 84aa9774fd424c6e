import 'server-only';
import { and, desc, eq } from 'drizzle-orm';
import type { ConversationSummary, ForkOrigin } from '@/lib/contract';
import { conversations, type Db } from '@/lib/db/schema';

type ConversationRow = typeof conversations.$inferSelect;
type SummaryRow = Pick<ConversationRow, 'id' | 'title' | 'createdAt' | 'updatedAt' | 'forkedFromConversationId' | 'forkedFromRunId' | 'forkedFromStep'>;

/** Where a conversation was forked from; undefined for one that is not a fork (or whose parent is gone). */
export function forkOriginOf(row: Omit<SummaryRow, 'id' | 'title' | 'createdAt' | 'updatedAt'>): ForkOrigin | undefined {
  const { forkedFromConversationId: conversationId, forkedFromRunId: runId, forkedFromStep: step } = row;
  return conversationId && runId && step ? { conversationId, runId, step } : undefined;
}

function toSummary(row: SummaryRow): ConversationSummary {
  const parent = forkOriginOf(row);
  return {
    id: row.id,
    title: row.title,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    ...(parent ? { parent } : {}),
  };
}

export async function insertConversation(db: Db, conversation: { id: string; ownerId: string }): Promise<ConversationSummary> {
  const [row] = await db.insert(conversations).values(conversation).returning();
  if (!row) throw new Error('insert returned no row');
  return toSummary(row);
}

/** A session's conversations, the one that spoke last first. */
export async function selectConversations(db: Db, ownerId: string): Promise<ConversationSummary[]> {
  const rows = await db
    .select({
      id: conversations.id,
      title: conversations.title,
      createdAt: conversations.createdAt,
      updatedAt: conversations.updatedAt,
      forkedFromConversationId: conversations.forkedFromConversationId,
      forkedFromRunId: conversations.forkedFromRunId,
      forkedFromStep: conversations.forkedFromStep,
    })
    .from(conversations)
    .where(eq(conversations.ownerId, ownerId))
    .orderBy(desc(conversations.activity));
  return rows.map(toSummary);
}

/** A conversation of that session; null when there is none with that id, or another session owns it. */
export async function findConversation(db: Db, id: string, ownerId: string): Promise<ConversationRow | null> {
  const [row] = await db
    .select()
    .from(conversations)
    .where(and(eq(conversations.id, id), eq(conversations.ownerId, ownerId)));
  return row ?? null;
}

/** Renames the session's conversation for good (a title written later does not replace it); null when it has none with that id. */
export async function updateConversationTitle(db: Db, id: string, ownerId: string, title: string): Promise<ConversationSummary | null> {
  const [row] = await db
    .update(conversations)
    .set({ title, titleSource: 'user' })
    .where(and(eq(conversations.id, id), eq(conversations.ownerId, ownerId)))
    .returning();
  return row ? toSummary(row) : null;
}

/** Stores the title a model wrote, unless the conversation was renamed (or deleted) meanwhile; true when stored. */
export async function storeWrittenTitle(db: Db, id: string, title: string): Promise<boolean> {
  const stored = await db
    .update(conversations)
    .set({ title, titleSource: 'model' })
    .where(and(eq(conversations.id, id), eq(conversations.titleSource, 'prompt')))
    .returning({ id: conversations.id });
  return stored.length > 0;
}

/** Deletes the session's conversation with everything in it; false when it has none with that id. */
export async function deleteConversationRow(db: Db, id: string, ownerId: string): Promise<boolean> {
  const deleted = await db
    .delete(conversations)
    .where(and(eq(conversations.id, id), eq(conversations.ownerId, ownerId)))
    .returning({ id: conversations.id });
  return deleted.length > 0;
}
