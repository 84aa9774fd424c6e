import 'server-only';
import { randomUUID } from 'node:crypto';
import { cache } from 'react';
import { z } from 'zod';
import { findActiveRun } from '@/lib/agent/run-service';
import type { Conversation, ConversationSummary } from '@/lib/contract';
import { getStore } from '@/lib/db/client';
import {
  createConversation as insertConversation,
  deleteConversation as removeConversationRow,
  findConversation as findConversationRow,
  listConversations as selectConversations,
  listMessages,
} from '@/lib/db/queries';
import { AppError } from '@/lib/errors';

const ConversationIdSchema = z.uuid();

/** Ids are random UUIDs (122 random bits); anything else cannot name a conversation. */
export function parseConversationId(id: string): string {
  const parsed = ConversationIdSchema.safeParse(id);
  if (!parsed.success) throw new AppError('not_found');
  return parsed.data.toLowerCase();
}

export async function createConversation(): Promise<ConversationSummary> {
  const { db } = await getStore();
  return insertConversation(db, randomUUID());
}

export async function listConversations(): Promise<ConversationSummary[]> {
  const { db } = await getStore();
  return selectConversations(db);
}

export async function getConversation(id: string): Promise<Conversation> {
  const { db } = await getStore();
  const row = await findConversationRow(db, id);
  if (!row) throw new AppError('not_found');
  return { id: row.id, title: row.title, messages: await listMessages(db, id) };
}

/** For pages: a conversation, or null when the id names none (malformed ids included). */
export const findConversation = cache(async (id: string): Promise<Conversation | null> => {
  try {
    return await getConversation(parseConversationId(id));
  } catch (error) {
    if (error instanceof AppError && error.code === 'not_found') return null;
    throw error;
  }
});

/** Whether an answer is being written in the conversation right now (the page then follows it live). */
export function hasRunInProgress(id: string): boolean {
  return findActiveRun(id) !== undefined;
}

/** Deleting stops whatever is running in the conversation first. */
export async function deleteConversation(id: string): Promise<void> {
  const { db } = await getStore();
  const run = findActiveRun(id);
  if (run) {
    run.cancel();
    await run.finished;
  }
  if (!(await removeConversationRow(db, id))) throw new AppError('not_found');
}
