import 'server-only';
import { and, eq, sql } from 'drizzle-orm';
import type { Attachment, ChatItem, ChatItemStatus, ErrorInfo, ResponseStep, TokenUsage } from '@/lib/contract';
import { NEXT_ACTIVITY, toChatItem, type MessageRow, type NewMessage } from '@/lib/db/queries/messages';
import { selectRows, violatesUnique } from '@/lib/db/queries/rows';
import { conversations, runs, type Db } from '@/lib/db/schema';

export type BegunTurn =
  | {
      status: 'begun';
      /** The agent's snapshot from the end of the previous turn, if any. */
      snapshot: unknown;
      /** How many messages the conversation held before this prompt. */
      priorMessages: number;
    }
  /** No conversation of that session has that id. */
  | { status: 'not_found' }
  /** The session has started its runs for this window; the next window opens in `retryAfterS`. */
  | { status: 'rate_limited'; retryAfterS: number }
  /** A run of the conversation is still running (started by this process or another). */
  | { status: 'busy' };

/** At most `runs` runs per session in a window of `windowS` seconds, opened by the window's first run. */
export type RunQuota = { runs: number; windowS: number };

/**
 * Starts a turn in one statement: the session's run is counted against its quota; within it, the run row and the
 * user message are written, the conversation moves to the top (its first prompt becomes its title), and what the
 * agent needs to go on is read back. The count is one upsert on the session's row, so concurrent prompts (from
 * any number of processes) cannot both take the last run of a window.
 */
type BegunRow = { within_quota: boolean; retry_after_s: number; begun: boolean; snapshot: unknown; prior_messages: number };

export async function beginTurn(
  db: Db,
  turn: { conversationId: string; ownerId: string; runId: string; messageId: string; prompt: string; title: string; attachments?: Attachment[] },
  quota: RunQuota,
): Promise<BegunTurn> {
  const window = sql`make_interval(secs => ${quota.windowS})`;
  const files = turn.attachments ?? [];
  // The prompt's files (checked to be this conversation's unsent uploads) are taken by it, in the same statement.
  const takeFiles =
    files.length === 0
      ? sql``
      : sql`, taken as (
      update attachments set used_at = now()
      where conversation_id = ${turn.conversationId} and used_at is null
        and id in (${sql.join(files.map((file) => sql`${file.id}::uuid`), sql`, `)})
        and exists (select 1 from message)
      returning id
    )`;
  const result = await selectRows<BegunRow>(
    db,
    sql`
    with quota as (
      insert into run_quotas as q (owner_id, window_started_at, runs)
      values (${turn.ownerId}, now(), 1)
      on conflict (owner_id) do update set
        window_started_at = case when q.window_started_at <= now() - ${window} then now() else q.window_started_at end,
        runs = case when q.window_started_at <= now() - ${window} then 1 else q.runs + 1 end
      returning runs, window_started_at
    ), conversation as (
      update conversations
      set title = case when title = '' then ${turn.title} else title end,
          updated_at = now(),
          activity = ${NEXT_ACTIVITY}
      where id = ${turn.conversationId} and owner_id = ${turn.ownerId}
        and (select runs from quota) <= ${quota.runs}
      returning id, snapshot
    ), run as (
      insert into runs (id, conversation_id, prompt, status)
      select ${turn.runId}, id, ${turn.prompt}, 'running' from conversation
      returning id
    ), message as (
      insert into messages (id, conversation_id, run_id, role, content, type, status, attachments)
      select ${turn.messageId}, ${turn.conversationId}, id, 'user', ${turn.prompt}, 'text', 'complete',
        ${files.length === 0 ? null : JSON.stringify(files)}::jsonb
      from run
      returning seq
    )${takeFiles}
    select
      quota.runs <= ${quota.runs} as within_quota,
      ceil(extract(epoch from quota.window_started_at + ${window} - now()))::int as retry_after_s,
      exists (select 1 from message) as begun,
      (select snapshot from conversation) as snapshot,
      (select count(*)::int from messages where conversation_id = ${turn.conversationId}) as prior_messages
    from quota`,
    // Its text only changes with the files a prompt takes: the usual prompt, with none, is prepared.
    files.length === 0 ? { prepareAs: 'sluice_begin_turn' } : {},
  ).catch((error: unknown) => {
    // Another run of the conversation is running, here or on another instance: nothing of this one was written.
    if (violatesUnique(error, 'runs_one_running_per_conversation')) return null;
    throw error;
  });
  if (result === null) return { status: 'busy' };
  const [row] = result;
  if (!row) throw new Error('beginTurn returned no row');
  if (!row.within_quota) return { status: 'rate_limited', retryAfterS: Math.max(1, Number(row.retry_after_s)) };
  if (!row.begun) return { status: 'not_found' };
  return { status: 'begun', snapshot: row.snapshot, priorMessages: Number(row.prior_messages) };
}

type StoredMessageRow = Pick<MessageRow, 'id' | 'role' | 'content' | 'type' | 'mode' | 'status' | 'reasoning'> & {
  run_id: string | null;
  reasoning_ms: number | null;
  created_at: Date | string;
};

/**
 * Ends a turn in one statement: the assistant message, the run's outcome, and the agent's snapshot for the next
 * turn (the conversation moves to the top). Returns the stored message.
 */
export async function finishTurn(
  db: Db,
  turn: {
    runId: string;
    message: NewMessage;
    outcome: { status: ChatItemStatus; mode: ResponseStep | null; error?: ErrorInfo };
    snapshot: unknown;
    /** The tokens the answer's step used, to return with it. */
    tokens?: TokenUsage | null;
  },
): Promise<ChatItem | null> {
  const { message, outcome } = turn;
  // Only a run still running is finished: one another instance declared lost (and stored) stays as it was.
  const [stored] = await selectRows<StoredMessageRow>(
    db,
    sql`
    with finished as (
      update runs set status = ${outcome.status}, mode = ${outcome.mode}, error = ${outcome.error ? JSON.stringify(outcome.error) : null}::jsonb, ended_at = now()
      where id = ${turn.runId} and status = 'running'
      returning id
    ), stored as (
      insert into messages (id, conversation_id, run_id, role, content, type, mode, status, reasoning, reasoning_ms)
      select ${message.id}::uuid, ${message.conversationId}::uuid, ${message.runId ?? null}::uuid, ${message.role}, ${message.content}, ${message.type}, ${message.mode ?? null}, ${message.status},
        ${message.reasoning ?? null}, ${message.reasoningMs ?? null}::int
      from finished
      returning id, conversation_id, run_id, role, content, type, mode, status, reasoning, reasoning_ms, created_at
    ), moved as (
      update conversations set snapshot = ${turn.snapshot == null ? null : JSON.stringify(turn.snapshot)}::jsonb, updated_at = now(), activity = ${NEXT_ACTIVITY}
      where id = ${message.conversationId} and exists (select 1 from finished)
      returning id
    )
    select id, conversation_id, run_id, role, content, type, mode, status, reasoning, reasoning_ms, created_at from stored`,
    { prepareAs: 'sluice_finish_turn' },
  );
  if (!stored) return null;
  const { id, role, content, type, mode, status, reasoning } = stored;
  return toChatItem(
    { id, role, content, type, mode, status, reasoning, reasoningMs: stored.reasoning_ms, attachments: null, runId: stored.run_id, createdAt: new Date(stored.created_at) },
    turn.tokens,
  );
}

export async function finishRun(
  db: Db,
  id: string,
  result: { status: ChatItemStatus; mode: ResponseStep | null; error?: ErrorInfo },
): Promise<void> {
  await db
    .update(runs)
    .set({ status: result.status, mode: result.mode, error: result.error ?? null, endedAt: new Date() })
    .where(eq(runs.id, id));
}

/** The id of the conversation's running run, if the owner's conversation has one (any instance may be running it). */
export async function findRunningRun(db: Db, conversationId: string, ownerId: string): Promise<string | null> {
  const [row] = await db
    .select({ id: runs.id })
    .from(runs)
    .innerJoin(conversations, eq(conversations.id, runs.conversationId))
    .where(and(eq(runs.conversationId, conversationId), eq(runs.status, 'running'), eq(conversations.ownerId, ownerId)));
  return row?.id ?? null;
}
