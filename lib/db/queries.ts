import 'server-only';
import { and, asc, desc, eq, sql } from 'drizzle-orm';
import type { ChatItem, ConversationSummary, ErrorInfo, ResponseStep, StepStatus } from '@/lib/contract';
import type { Db } from '@/lib/db/client';
import { conversations, messages, runs, runSteps } from '@/lib/db/schema';

type MessageRow = typeof messages.$inferSelect;
type ConversationRow = typeof conversations.$inferSelect;

export function toChatItem(row: MessageRow): ChatItem {
  return {
    id: row.id,
    role: row.role,
    content: row.content,
    type: row.type,
    ...(row.mode ? { mode: row.mode as ResponseStep } : {}),
    status: row.status,
    createdAt: row.createdAt.toISOString(),
  };
}

function toSummary(row: Pick<ConversationRow, 'id' | 'title' | 'createdAt' | 'updatedAt'>): ConversationSummary {
  return {
    id: row.id,
    title: row.title,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export async function createConversation(db: Db, id: string): Promise<ConversationSummary> {
  const [row] = await db.insert(conversations).values({ id }).returning();
  if (!row) throw new Error('insert returned no row');
  return toSummary(row);
}

export async function listConversations(db: Db): Promise<ConversationSummary[]> {
  const rows = await db
    .select({ id: conversations.id, title: conversations.title, createdAt: conversations.createdAt, updatedAt: conversations.updatedAt })
    .from(conversations)
    .orderBy(desc(conversations.updatedAt), desc(conversations.createdAt));
  return rows.map(toSummary);
}

export async function findConversation(db: Db, id: string) {
  const [row] = await db.select().from(conversations).where(eq(conversations.id, id));
  return row ?? null;
}

export async function deleteConversation(db: Db, id: string): Promise<boolean> {
  const deleted = await db.delete(conversations).where(eq(conversations.id, id)).returning({ id: conversations.id });
  return deleted.length > 0;
}

export async function listMessages(db: Db, conversationId: string): Promise<ChatItem[]> {
  const rows = await db
    .select()
    .from(messages)
    .where(eq(messages.conversationId, conversationId))
    .orderBy(asc(messages.seq));
  return rows.map(toChatItem);
}

export type NewMessage = Omit<ChatItem, 'createdAt'> & { conversationId: string; runId?: string };

/** Stores a message and moves the conversation to the top; the first prompt becomes its title. */
export async function insertMessage(db: Db, message: NewMessage, title?: string): Promise<ChatItem> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(messages)
      .values({
        id: message.id,
        conversationId: message.conversationId,
        runId: message.runId,
        role: message.role,
        content: message.content,
        type: message.type,
        mode: message.mode,
        status: message.status,
      })
      .returning();
    if (!row) throw new Error('insert returned no row');
    await tx
      .update(conversations)
      .set({
        // Strictly after every other conversation's activity: PGlite's clock ticks in milliseconds, and the
        // conversation that spoke last must still come first.
        updatedAt: sql`greatest(now(), (select max(${conversations.updatedAt}) from ${conversations}) + interval '1 millisecond')`,
        ...(title ? { title: sql`case when ${conversations.title} = '' then ${title} else ${conversations.title} end` } : {}),
      })
      .where(eq(conversations.id, message.conversationId));
    return toChatItem(row);
  });
}

export async function saveConversationSnapshot(db: Db, conversationId: string, snapshot: unknown): Promise<void> {
  await db.update(conversations).set({ snapshot }).where(eq(conversations.id, conversationId));
}

export async function createRun(db: Db, run: { id: string; conversationId: string; prompt: string }): Promise<void> {
  await db.insert(runs).values({ ...run, status: 'running' });
}

export async function finishRun(
  db: Db,
  id: string,
  result: { status: 'complete' | 'interrupted' | 'error'; mode: ResponseStep | null; error?: ErrorInfo },
): Promise<void> {
  await db
    .update(runs)
    .set({ status: result.status, mode: result.mode, error: result.error ?? null, endedAt: new Date() })
    .where(eq(runs.id, id));
}

export async function startRunStep(
  db: Db,
  step: { runId: string; seq: number; name: string; input: unknown },
): Promise<void> {
  await db.insert(runSteps).values({ ...step, status: 'started' });
}

export async function endRunStep(
  db: Db,
  step: { runId: string; seq: number; status: StepStatus; output: unknown; snapshot: unknown },
): Promise<void> {
  await db
    .update(runSteps)
    .set({ status: step.status, output: step.output, snapshot: step.snapshot, endedAt: new Date() })
    .where(and(eq(runSteps.runId, step.runId), eq(runSteps.seq, step.seq)));
}

export async function listRunSteps(db: Db, runId: string) {
  return db.select().from(runSteps).where(eq(runSteps.runId, runId)).orderBy(asc(runSteps.seq));
}

export async function listRuns(db: Db, conversationId: string) {
  return db.select().from(runs).where(eq(runs.conversationId, conversationId)).orderBy(asc(runs.startedAt));
}
