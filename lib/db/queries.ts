import 'server-only';
import { and, asc, desc, eq, inArray, sql } from 'drizzle-orm';
import {
  RESPONSE_STEPS,
  type ChatItem,
  type ChatItemStatus,
  type ConversationSummary,
  type ErrorInfo,
  type ReportedStep,
  type ResponseStep,
  type ForkOrigin,
  type RunTrace,
  type TraceStep,
} from '@/lib/contract';
import { conversations, messages, runs, runSteps, type Db } from '@/lib/db/schema';
import type { TokenUsage } from '@/lib/llm/types';

type MessageRow = typeof messages.$inferSelect;
type ConversationRow = typeof conversations.$inferSelect;

export function toChatItem(row: MessageRow, tokens?: TokenUsage | null): ChatItem {
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
  };
}

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

export async function createConversation(db: Db, conversation: { id: string; ownerId: string }): Promise<ConversationSummary> {
  const [row] = await db.insert(conversations).values(conversation).returning();
  if (!row) throw new Error('insert returned no row');
  return toSummary(row);
}

/** A session's conversations, the one that spoke last first. */
export async function listConversations(db: Db, ownerId: string): Promise<ConversationSummary[]> {
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
export async function findConversation(db: Db, id: string, ownerId: string) {
  const [row] = await db
    .select()
    .from(conversations)
    .where(and(eq(conversations.id, id), eq(conversations.ownerId, ownerId)));
  return row ?? null;
}

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
    db.select({ seq: messages.seq, role: messages.role }).from(messages).where(eq(messages.runId, runId)),
  ]);
  return {
    ...run,
    steps,
    /** The run's prompt in the conversation's order, and its answer once stored. */
    promptSeq: written.find((m) => m.role === 'user')?.seq ?? null,
    answerSeq: written.find((m) => m.role === 'assistant')?.seq ?? null,
  };
}

/**
 * Creates a fork in one statement: a new conversation of the session, pointing at where it came from, holding
 * copies (with new ids, and no runs) of the parent's messages up to `throughSeq`. It keeps the parent's title when
 * it copies any; a fork of the first prompt takes its title from its own first prompt, as any conversation does.
 */
export async function createFork(
  db: Db,
  fork: { id: string; ownerId: string; title: string; parent: ForkOrigin; throughSeq: number },
): Promise<void> {
  await db.execute(sql`
    with fork as (
      insert into conversations (id, owner_id, title, forked_from_conversation_id, forked_from_run_id, forked_from_step)
      select ${fork.id}, ${fork.ownerId},
        case when exists (select 1 from messages where conversation_id = ${fork.parent.conversationId} and seq <= ${fork.throughSeq})
          then ${fork.title} else '' end,
        ${fork.parent.conversationId}, ${fork.parent.runId}, ${fork.parent.step}
      returning id
    )
    insert into messages (id, conversation_id, role, content, type, mode, status, created_at)
    select gen_random_uuid(), fork.id, m.role, m.content, m.type, m.mode, m.status, m.created_at
    from messages m, fork
    where m.conversation_id = ${fork.parent.conversationId} and m.seq <= ${fork.throughSeq}
    order by m.seq`);
}

export async function deleteConversation(db: Db, id: string, ownerId: string): Promise<boolean> {
  const deleted = await db
    .delete(conversations)
    .where(and(eq(conversations.id, id), eq(conversations.ownerId, ownerId)))
    .returning({ id: conversations.id });
  return deleted.length > 0;
}

/** A conversation's messages in order; an answer carries the tokens of the step that wrote it. */
export async function listMessages(db: Db, conversationId: string): Promise<ChatItem[]> {
  const rows = await db
    .select({ message: messages, usage: runSteps.usage })
    .from(messages)
    .leftJoin(runSteps, and(eq(runSteps.runId, messages.runId), eq(runSteps.name, messages.mode)))
    .where(eq(messages.conversationId, conversationId))
    .orderBy(asc(messages.seq));
  return rows.map(({ message, usage }) => toChatItem(message, usage as TokenUsage | null));
}

export type NewMessage = Omit<ChatItem, 'createdAt'> & { conversationId: string; runId?: string };

/** The next value of the activity sequence: the conversation moves to the top of the list. */
const NEXT_ACTIVITY = sql`nextval(pg_get_serial_sequence('conversations', 'activity'))`;

/** Whether a statement failed on the named unique index (drizzle wraps the driver's error as its cause). */
function violates(error: unknown, constraint: string): boolean {
  for (let cause = error; cause instanceof Error; cause = cause.cause) {
    const { code, constraint: name } = cause as Error & { code?: string; constraint?: string };
    if (code === '23505') return name === constraint || cause.message.includes(constraint);
  }
  return false;
}

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
export async function beginTurn(
  db: Db,
  turn: { conversationId: string; ownerId: string; runId: string; messageId: string; prompt: string; title: string },
  quota: RunQuota,
): Promise<BegunTurn> {
  const window = sql`make_interval(secs => ${quota.windowS})`;
  const result = await db
    .execute(
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
      insert into messages (id, conversation_id, run_id, role, content, type, status)
      select ${turn.messageId}, ${turn.conversationId}, id, 'user', ${turn.prompt}, 'text', 'complete' from run
      returning seq
    )
    select
      quota.runs <= ${quota.runs} as within_quota,
      ceil(extract(epoch from quota.window_started_at + ${window} - now()))::int as retry_after_s,
      exists (select 1 from message) as begun,
      (select snapshot from conversation) as snapshot,
      (select count(*)::int from messages where conversation_id = ${turn.conversationId}) as prior_messages
    from quota`,
    )
    .catch((error: unknown) => {
      // Another run of the conversation is running, here or on another instance: nothing of this one was written.
      if (violates(error, 'runs_one_running_per_conversation')) return null;
      throw error;
    });
  if (result === null) return { status: 'busy' };
  type Row = { within_quota: boolean; retry_after_s: number; begun: boolean; snapshot: unknown; prior_messages: number };
  const [row] = (result as unknown as { rows: Row[] }).rows;
  if (!row) throw new Error('beginTurn returned no row');
  if (!row.within_quota) return { status: 'rate_limited', retryAfterS: Math.max(1, Number(row.retry_after_s)) };
  if (!row.begun) return { status: 'not_found' };
  return { status: 'begun', snapshot: row.snapshot, priorMessages: Number(row.prior_messages) };
}

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
  const result = await db.execute(sql`
    with finished as (
      update runs set status = ${outcome.status}, mode = ${outcome.mode}, error = ${outcome.error ? JSON.stringify(outcome.error) : null}::jsonb, ended_at = now()
      where id = ${turn.runId} and status = 'running'
      returning id
    ), stored as (
      insert into messages (id, conversation_id, run_id, role, content, type, mode, status)
      select ${message.id}::uuid, ${message.conversationId}::uuid, ${message.runId ?? null}::uuid, ${message.role}, ${message.content}, ${message.type}, ${message.mode ?? null}, ${message.status}
      from finished
      returning id, conversation_id, run_id, role, content, type, mode, status, created_at
    ), moved as (
      update conversations set snapshot = ${turn.snapshot == null ? null : JSON.stringify(turn.snapshot)}::jsonb, updated_at = now(), activity = ${NEXT_ACTIVITY}
      where id = ${message.conversationId} and exists (select 1 from finished)
      returning id
    )
    select id, conversation_id, run_id, role, content, type, mode, status, created_at from stored`);
  type Row = { id: string; conversation_id: string; run_id: string | null; role: MessageRow['role']; content: string; type: MessageRow['type']; mode: string | null; status: MessageRow['status']; created_at: Date | string };
  const [stored] = (result as unknown as { rows: Row[] }).rows;
  if (!stored) return null;
  const row = {
    ...stored,
    conversationId: stored.conversation_id,
    runId: stored.run_id,
    createdAt: new Date(stored.created_at),
  } as unknown as MessageRow;
  return toChatItem(row, turn.tokens);
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

export type RunStepRow = typeof runSteps.$inferInsert;

/**
 * Writes trace rows as they now stand, in one statement: a row not yet stored is inserted, a stored one (a step
 * that was started in an earlier write) is brought up to date.
 */
export async function writeRunSteps(db: Db, rows: RunStepRow[]): Promise<void> {
  if (rows.length === 0) return;
  await db
    .insert(runSteps)
    .values(rows)
    .onConflictDoUpdate({
      target: [runSteps.runId, runSteps.seq],
      set: {
        status: sql`excluded.status`,
        input: sql`excluded.input`,
        firstTokenAt: sql`excluded.first_token_at`,
        usage: sql`excluded.usage`,
        output: sql`excluded.output`,
        snapshot: sql`excluded.snapshot`,
        endedAt: sql`excluded.ended_at`,
      },
    });
}

/**
 * A conversation's runs with their steps, for the inspector: runs newest first, steps in the order they started
 * (the parallel ones by the order they were recorded).
 */
export async function listRunTraces(db: Db, conversationId: string): Promise<RunTrace[]> {
  const runRows = await db.select().from(runs).where(eq(runs.conversationId, conversationId)).orderBy(desc(runs.startedAt));
  if (runRows.length === 0) return [];
  const stepRows = await db
    .select()
    .from(runSteps)
    .where(inArray(runSteps.runId, runRows.map((run) => run.id)))
    .orderBy(asc(runSteps.runId), asc(runSteps.startedAt), asc(runSteps.seq));
  const stepsByRun = new Map<string, TraceStep[]>();
  for (const row of stepRows) {
    const steps = stepsByRun.get(row.runId) ?? [];
    steps.push(toTraceStep(row));
    stepsByRun.set(row.runId, steps);
  }
  return runRows.map((run) => ({
    id: run.id,
    prompt: run.prompt,
    startedAt: run.startedAt.toISOString(),
    endedAt: run.endedAt?.toISOString() ?? null,
    status: run.status,
    mode: (run.mode as ResponseStep | null) ?? null,
    error: (run.error as ErrorInfo | null) ?? null,
    steps: stepsByRun.get(run.id) ?? [],
  }));
}

function toTraceStep(row: typeof runSteps.$inferSelect): TraceStep {
  const state = row.snapshot as { value: unknown; context: unknown } | null;
  return {
    name: row.name as ReportedStep,
    status: row.status,
    startedAt: row.startedAt.toISOString(),
    endedAt: row.endedAt?.toISOString() ?? null,
    ...(row.firstTokenAt ? { firstTokenMs: row.firstTokenAt.getTime() - row.startedAt.getTime() } : {}),
    ...(row.usage ? { tokens: row.usage as TokenUsage } : {}),
    input: row.input,
    output: row.output,
    state: state ? { value: state.value, context: state.context } : null,
  };
}

export async function listRunSteps(db: Db, runId: string) {
  return db.select().from(runSteps).where(eq(runSteps.runId, runId)).orderBy(asc(runSteps.seq));
}

export async function listRuns(db: Db, conversationId: string) {
  return db.select().from(runs).where(eq(runs.conversationId, conversationId)).orderBy(asc(runs.startedAt));
}

/** What readers saw of a run whose producer was lost: its answer so far, and the mode it was written in. */
export type LostAnswer = { content: string; mode: ResponseStep | null };

/**
 * Closes runs a dead process left `running` (a crash, a kill): each gets its answer so far as an interrupted
 * assistant message, its open steps are marked interrupted, and its conversation rebuilds the agent's history from
 * the messages on the next prompt. `only` closes one run, with the answer its readers saw (another instance's
 * producer was lost); without it, every running run, with the answer its trace last saved (this process starts and
 * no other shares the database). A run that is no longer running is left as it is. Returns how many it closed.
 */
export async function closeOrphanedRuns(db: Db, only?: { runId: string; answer: LostAnswer }): Promise<number> {
  const responseSteps = sql.join(
    RESPONSE_STEPS.map((step) => sql`${step}`),
    sql`, `,
  );
  const answers = only
    ? sql`select ${only.runId}::uuid as run_id, ${only.answer.mode}::text as name, ${only.answer.content}::text as content`
    : sql`
      select distinct on (s.run_id) s.run_id, s.name, s.output->>'content' as content
      from run_steps s join orphans o on o.id = s.run_id
      where s.name in (${responseSteps})
      order by s.run_id, s.seq desc`;
  const result = await db.execute(sql`
    with orphans as (
      update runs set status = 'interrupted', ended_at = now()
      where status = 'running' ${only ? sql`and id = ${only.runId}` : sql``}
      returning id, conversation_id
    ), answers as (${answers}
    ), stored as (
      insert into messages (id, conversation_id, run_id, role, content, type, mode, status)
      select gen_random_uuid(), o.conversation_id, o.id, 'assistant', coalesce(a.content, ''),
        case when a.name = 'generate_code' then 'code' else 'text' end, a.name, 'interrupted'
      from orphans o left join answers a on a.run_id = o.id
      returning conversation_id
    ), open_steps as (
      update run_steps set status = 'interrupted', ended_at = now()
      where status = 'started' and run_id in (select id from orphans)
      returning id
    ), rebuilt as (
      update conversations set snapshot = null where id in (select conversation_id from orphans)
      returning id
    )
    select count(*)::int as closed from orphans`);
  const [row] = (result as unknown as { rows: { closed: number }[] }).rows;
  return Number(row?.closed ?? 0);
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
