import 'server-only';
import { and, eq, sql } from 'drizzle-orm';
import { listMessages } from '@/lib/db/queries/messages';
import { selectRows } from '@/lib/db/queries/rows';
import { conversations, shares, type Db } from '@/lib/db/schema';
import type { SharedConversation } from '@/lib/contract';

export type ShareOutcome = { status: 'created' | 'existing'; token: string } | { status: 'not_found' };

/**
 * Shares the owner's conversation under `token`, or finds the link it has already: one statement, so two presses at
 * once make one link.
 */
export async function shareConversation(db: Db, conversationId: string, ownerId: string, token: string): Promise<ShareOutcome> {
  for (;;) {
    const [row] = await selectRows<{ owned: boolean; created: string | null; existing: string | null }>(
      db,
      sql`
      with owned as (select id from conversations where id = ${conversationId} and owner_id = ${ownerId}),
      created as (
        insert into shares (conversation_id, token) select id, ${token} from owned
        on conflict (conversation_id) do nothing
        returning token
      )
      select exists (select 1 from owned) as owned,
        (select token from created) as created,
        (select s.token from shares s join owned on owned.id = s.conversation_id) as existing`,
    );
    if (!row?.owned) return { status: 'not_found' };
    if (row.created) return { status: 'created', token: row.created };
    if (row.existing) return { status: 'existing', token: row.existing };
    // Another press shared it in the instant between this statement's start and its insert: read it again.
  }
}

/** The link the owner's conversation is shared under; null when it is not shared (or not theirs). */
export async function findShareToken(db: Db, conversationId: string, ownerId: string): Promise<string | null> {
  const [row] = await db
    .select({ token: shares.token })
    .from(shares)
    .innerJoin(conversations, eq(conversations.id, shares.conversationId))
    .where(and(eq(shares.conversationId, conversationId), eq(conversations.ownerId, ownerId)));
  return row?.token ?? null;
}

/** Stops sharing the owner's conversation (the link is dead at once); false when it is not theirs. */
export async function stopSharing(db: Db, conversationId: string, ownerId: string): Promise<boolean> {
  const [row] = await selectRows<{ owned: boolean }>(
    db,
    sql`
    with owned as (select id from conversations where id = ${conversationId} and owner_id = ${ownerId}),
    deleted as (delete from shares where conversation_id in (select id from owned) returning 1)
    select exists (select 1 from owned) as owned, (select count(*) from deleted) as deleted`,
  );
  return row?.owned ?? false;
}

/**
 * What a stranger may see of a shared conversation: its title and its messages as they are now, without the runs
 * that wrote them. Null when no conversation is shared under `token`.
 */
export async function findSharedConversation(db: Db, token: string): Promise<SharedConversation | null> {
  const [row] = await db
    .select({ id: conversations.id, title: conversations.title })
    .from(shares)
    .innerJoin(conversations, eq(conversations.id, shares.conversationId))
    .where(eq(shares.token, token));
  if (!row) return null;
  const items = await listMessages(db, row.id);
  return { title: row.title, messages: items.map(({ runId: _run, ...item }) => item) };
}

/**
 * Copies what is shared under `token` into a new conversation of `ownerId` (its title and messages, with new ids,
 * no runs and no link back), in one statement; false when nothing is shared under it.
 */
export async function copySharedConversation(db: Db, token: string, copy: { id: string; ownerId: string }): Promise<boolean> {
  const [row] = await selectRows<{ copied: boolean }>(
    db,
    sql`
    with source as (
      select c.id, c.title, c.title_source from shares s join conversations c on c.id = s.conversation_id where s.token = ${token}
    ), copy as (
      insert into conversations (id, owner_id, title, title_source)
      select ${copy.id}, ${copy.ownerId}, title, title_source from source
      returning id
    ), copied_messages as (
      insert into messages (id, conversation_id, role, content, type, mode, status, reasoning, reasoning_ms, attachments, created_at)
      select gen_random_uuid(), copy.id, m.role, m.content, m.type, m.mode, m.status, m.reasoning, m.reasoning_ms, m.attachments, m.created_at
      from messages m, source, copy
      where m.conversation_id = source.id
      order by m.seq
      returning 1
    ), copied_files as (
      -- The files the messages show; uploads the owner has not sent yet stay theirs.
      insert into attachments (id, conversation_id, name, type, size, data, created_at, used_at)
      select a.id, copy.id, a.name, a.type, a.size, a.data, a.created_at, a.used_at
      from attachments a, source, copy
      where a.conversation_id = source.id and a.used_at is not null
      returning 1
    )
    select exists (select 1 from copy) as copied, (select count(*) from copied_messages) as messages`,
  );
  return row?.copied ?? false;
}
