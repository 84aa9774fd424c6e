import 'server-only';
import { randomUUID } from 'node:crypto';
import { cache } from 'react';
import { z } from 'zod';
import { isRunning, stopRunAndWait } from '@/lib/agent/run-lookup';
import type { Conversation, ConversationSummary, RunTrace, SearchHit } from '@/lib/contract';
import {
  deleteConversationRow,
  findConversation,
  forkOriginOf,
  insertConversation,
  selectConversations,
  updateConversationTitle,
} from '@/lib/db/queries/conversations';
import { listForks } from '@/lib/db/queries/forks';
import { listMessages } from '@/lib/db/queries/messages';
import { searchConversations } from '@/lib/db/queries/search';
import { listRunTraces } from '@/lib/db/queries/traces';
import { SEARCH_QUERY_MAX, toSearchTerms } from '@/lib/search/search-terms';
import { AppError, nullIfNotFound } from '@/lib/errors';
import { getAppProcess } from '@/lib/services/app-process';
import { readSession, type Session } from '@/lib/services/session';

const ConversationIdSchema = z.uuid();

/** Ids are random UUIDs (122 random bits); anything else cannot name a conversation. */
export function parseConversationId(id: string): string {
  const parsed = ConversationIdSchema.safeParse(id);
  if (!parsed.success) throw new AppError('not_found');
  return parsed.data.toLowerCase();
}

export async function createConversation(session: Session): Promise<ConversationSummary> {
  const { store } = await getAppProcess();
  return insertConversation(store.db, { id: randomUUID(), ownerId: session.owner });
}

export async function listConversations(session: Session): Promise<ConversationSummary[]> {
  const { store } = await getAppProcess();
  return selectConversations(store.db, session.owner);
}

/**
 * The session's conversations matching what was typed (every word, by stem, the last as a prefix), best first, each
 * with a snippet. Any text is a search: what is not a word is a separator; 400 only past 2,000 characters.
 */
export async function findConversations(session: Session, q: string): Promise<SearchHit[]> {
  if (q.length > SEARCH_QUERY_MAX) throw new AppError('invalid_query', `A search may be at most ${SEARCH_QUERY_MAX.toLocaleString('en')} characters.`);
  const terms = toSearchTerms(q);
  if (!terms) return [];
  const { store } = await getAppProcess();
  return searchConversations(store.db, session.owner, terms);
}

/** 404 for an id no conversation of the session has: another session's conversation is not told apart. */
export async function getConversation(session: Session, id: string): Promise<Conversation> {
  const { db } = (await getAppProcess()).store;
  const row = await findConversation(db, id, session.owner);
  if (!row) throw new AppError('not_found');
  const [messages, forks] = await Promise.all([listMessages(db, id), listForks(db, id, session.owner)]);
  const parent = forkOriginOf(row);
  return { id: row.id, title: row.title, messages, ...(parent ? { parent } : {}), forks };
}

/** The conversation's runs, each with its trace of steps, newest first; 404 as for `getConversation`. */
export async function getRunTraces(session: Session, id: string): Promise<RunTrace[]> {
  const { db } = (await getAppProcess()).store;
  if (!(await findConversation(db, id, session.owner))) throw new AppError('not_found');
  return listRunTraces(db, id);
}

/** A rename is the person's: no title a model writes later replaces it. 404 as for `getConversation`. */
export async function renameConversation(session: Session, id: string, title: string): Promise<ConversationSummary> {
  const { store } = await getAppProcess();
  const renamed = await updateConversationTitle(store.db, id, session.owner, title);
  if (!renamed) throw new AppError('not_found');
  return renamed;
}

/** Deleting stops whatever is running in the conversation first. */
export async function deleteConversation(session: Session, id: string): Promise<void> {
  const { store, runs } = await getAppProcess();
  await stopRunAndWait(runs, id, session.owner);
  if (!(await deleteConversationRow(store.db, id, session.owner))) throw new AppError('not_found');
}

/** Where a conversation came from and the branches made from it, each with the step it was forked at and its title. */
export type Lineage = {
  parent: { id: string; title: string; step: string } | null;
  forks: { id: string; title: string; step: string }[];
};

/** A conversation's lineage, titled from the session's conversation list (a parent since deleted is left out). */
export function lineageOf(conversation: Pick<Conversation, 'parent' | 'forks'>, list: ConversationSummary[]): Lineage {
  const titles = new Map(list.map((c) => [c.id, c.title]));
  const { parent } = conversation;
  return {
    parent: parent && titles.has(parent.conversationId) ? { id: parent.conversationId, title: titles.get(parent.conversationId) ?? '', step: parent.step } : null,
    forks: conversation.forks.map((fork) => ({ id: fork.id, title: titles.get(fork.id) ?? '', step: fork.step })),
  };
}

/** For pages: the visitor's conversations; none before the browser has a session. */
export const listVisitorConversations = cache(async (): Promise<ConversationSummary[]> => {
  const session = await readSession();
  return session ? listConversations(session) : [];
});

/**
 * For pages: `read` for the visitor's session on a conversation id; null when the id names none of theirs
 * (no session yet, a malformed id, another session's conversation).
 */
async function forVisitor<T>(id: string, read: (session: Session, id: string) => Promise<T>): Promise<T | null> {
  const session = await readSession();
  if (!session) return null;
  return nullIfNotFound(() => read(session, parseConversationId(id)));
}

/** For pages: the visitor's conversation, with whether an answer is being written in it now (the page follows it). */
export const findVisitorConversation = cache((id: string) =>
  forVisitor(id, async (session, conversationId): Promise<Conversation & { running: boolean }> => {
    const conversation = await getConversation(session, conversationId);
    const { runs } = await getAppProcess();
    return { ...conversation, running: await isRunning(runs, conversation.id, session.owner) };
  }),
);

/** For pages: the runs of the visitor's conversation. */
export const findVisitorRunTraces = (id: string) => forVisitor(id, getRunTraces);
