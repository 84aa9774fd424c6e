import 'server-only';
import { and, asc, eq, sql } from 'drizzle-orm';
import type { Attachment, ForkOrigin } from '@/lib/contract';
import { conversations, messages, runs, runSteps, type Db } from '@/lib/db/schema';

/** The session's conversations forked from this one, oldest first. */
export async function listForks(db: Db, id: string, ownerId: string) {
  const rows = await db
    .select({ id: conversations.id, runId: conversations.forkedFromRunId, step: conversations.forkedFromStep })
    .from(conversations)
    .where(and(eq(conversations.forkedFromConversationId, id), eq(conversations.ownerId, ownerId)))
    .orderBy(asc(conversations.createdAt));
  return rows.map((row) => ({ id: row.id, runId: row.runId ?? '', step: row.step ?? '' }));
}

/** What a fork needs of a run of a conversation the session owns: null when there is no such run. */
export async function findForkSource(db: Db, conversationId: string, ownerId: string, runId: string) {
  const [run] = await db
    .select({ prompt: runs.prompt, title: conversations.title })
    .from(runs)
    .innerJoin(conversations, eq(conversations.id, runs.conversationId))
    .where(and(eq(runs.id, runId), eq(runs.conversationId, conversationId), eq(conversations.ownerId, ownerId)));
  if (!run) return null;
  const [steps, written] = await Promise.all([
    db.select({ name: runSteps.name, status: runSteps.status, output: runSteps.output }).from(runSteps).where(eq(runSteps.runId, runId)),
    db.select({ seq: messages.seq, role: messages.role, attachments: messages.attachments }).from(messages).where(eq(messages.runId, runId)),
  ]);
  const prompt = written.find((m) => m.role === 'user');
  return {
    ...run,
    steps,
    /** The run's prompt in the conversation's order, and its answer once stored. */
    promptSeq: prompt?.seq ?? null,
    answerSeq: written.find((m) => m.role === 'assistant')?.seq ?? null,
    /** The files that went with the prompt, for a fork that runs it again. */
    promptFiles: (Array.isArray(prompt?.attachments) ? prompt.attachments : []) as Attachment[],
  };
}

/**
 * Creates a fork in one statement: a new conversation of the session, pointing at where it came from, holding
 * copies (with new ids, and no runs) of the parent's messages up to `throughSeq`. It keeps the parent's title when
 * it copies any; a fork of the first prompt takes its title from its own first prompt, as any conversation does.
 */
export async function createFork(
  db: Db,
  fork: { id: string; ownerId: string; title: string; parent: ForkOrigin; throughSeq: number; carry?: string[] },
): Promise<void> {
  const carried = fork.carry?.length ? sql.join(fork.carry.map((id) => sql`${id}::uuid`), sql`, `) : sql`null::uuid`;
  await db.execute(sql`
    with fork as (
      insert into conversations (id, owner_id, title, forked_from_conversation_id, forked_from_run_id, forked_from_step)
      select ${fork.id}, ${fork.ownerId},
        case when exists (select 1 from messages where conversation_id = ${fork.parent.conversationId} and seq <= ${fork.throughSeq})
          then ${fork.title} else '' end,
        ${fork.parent.conversationId}, ${fork.parent.runId}, ${fork.parent.step}
      returning id
    ), copied as (
      insert into messages (id, conversation_id, role, content, type, mode, status, reasoning, reasoning_ms, attachments, created_at)
      select gen_random_uuid(), fork.id, m.role, m.content, m.type, m.mode, m.status, m.reasoning, m.reasoning_ms, m.attachments, m.created_at
      from messages m, fork
      where m.conversation_id = ${fork.parent.conversationId} and m.seq <= ${fork.throughSeq}
      order by m.seq
      returning attachments
    )
    -- The files of the copied messages come along, already sent; those of a prompt the fork runs again, unsent.
    insert into attachments (id, conversation_id, name, type, size, data, created_at, used_at)
    select a.id, fork.id, a.name, a.type, a.size, a.data, a.created_at, case when a.id in (${carried}) then null else now() end
    from attachments a, fork
    where a.conversation_id = ${fork.parent.conversationId}
      and (a.id in (${carried}) or a.id in (select (f->>'id')::uuid from copied, jsonb_array_elements(coalesce(copied.attachments, '[]'::jsonb)) f))`);
}

