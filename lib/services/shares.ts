import 'server-only';
import { randomBytes, randomUUID } from 'node:crypto';
import { headers } from 'next/headers';
import type { Share, SharedConversation } from '@/lib/contract';
import {
  copySharedConversation,
  findShareToken,
  findSharedConversation,
  shareConversation as storeShare,
  stopSharing,
} from '@/lib/db/queries/shares';
import { AppError, nullIfNotFound } from '@/lib/errors';
import { forwardedProto, requestHost } from '@/lib/http';
import { getAppProcess } from '@/lib/services/app-process';
import { readSession, type Session } from '@/lib/services/session';

/** 192 random bits, base64url: 32 characters. */
const SHARE_TOKEN = /^[A-Za-z0-9_-]{32}$/;

/** A link's token as given; anything else names no shared conversation (404). */
export function parseShareToken(token: string): string {
  if (!SHARE_TOKEN.test(token)) throw new AppError('not_found');
  return token;
}

/**
 * Where people reach this app: APP_URL when set, else the host the request came to (as a proxy in front says it,
 * with X-Forwarded-Host and X-Forwarded-Proto).
 */
export async function publicOrigin(requestHeaders: Headers): Promise<string> {
  const { env } = await getAppProcess();
  if (env.APP_URL) return new URL(env.APP_URL).origin;
  return `${forwardedProto(requestHeaders) ?? 'http'}://${requestHost(requestHeaders) ?? 'localhost'}`;
}

const shareUrl = (origin: string, token: string) => new URL(`/s/${token}`, origin).href;

/** The session's conversation shared by link: the link made now (`created`), or the one it already had. */
export async function shareConversation(session: Session, id: string, origin: string): Promise<Share & { created: boolean }> {
  const { store } = await getAppProcess();
  const outcome = await storeShare(store.db, id, session.owner, randomBytes(24).toString('base64url'));
  if (outcome.status === 'not_found') throw new AppError('not_found');
  return { url: shareUrl(origin, outcome.token), created: outcome.status === 'created' };
}

/** Kills the conversation's link, if it has one; 404 when the conversation is not the session's. */
export async function stopSharingConversation(session: Session, id: string): Promise<void> {
  const { store } = await getAppProcess();
  if (!(await stopSharing(store.db, id, session.owner))) throw new AppError('not_found');
}

/** What anyone with the link sees; 404 for a link that was never made or has been stopped. */
export async function readSharedConversation(token: string): Promise<SharedConversation> {
  const { store } = await getAppProcess();
  const shared = await findSharedConversation(store.db, parseShareToken(token));
  if (!shared) throw new AppError('not_found');
  return shared;
}

/** "Continue this chat": a copy of the shared conversation as the session's own, with no link to the original. */
export async function continueSharedConversation(session: Session, token: string): Promise<{ id: string }> {
  const { store } = await getAppProcess();
  const id = randomUUID();
  if (!(await copySharedConversation(store.db, parseShareToken(token), { id, ownerId: session.owner }))) throw new AppError('not_found');
  return { id };
}

/** For pages: the link the visitor's conversation is shared under, or null. */
export async function findVisitorShareUrl(id: string): Promise<string | null> {
  const session = await readSession();
  if (!session) return null;
  const { store } = await getAppProcess();
  const token = await findShareToken(store.db, id, session.owner);
  return token ? shareUrl(await publicOrigin(await headers()), token) : null;
}

/** For pages: the shared conversation, or null for a dead or malformed link. */
export function findSharedForPage(token: string): Promise<SharedConversation | null> {
  return nullIfNotFound(() => readSharedConversation(token));
}
