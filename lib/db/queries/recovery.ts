import 'server-only';
import { sql } from 'drizzle-orm';
import { RESPONSE_STEPS, type ResponseStep } from '@/lib/contract';
import { selectRows } from '@/lib/db/queries/rows';
import type { Db } from '@/lib/db/schema';

/** What readers saw of a run whose producer was lost: its answer and reasoning so far, and the mode it was written in. */
export type LostAnswer = { content: string; reasoning: string; mode: ResponseStep | null };

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
    ? sql`select ${only.runId}::uuid as run_id, ${only.answer.mode}::text as name, ${only.answer.content}::text as content,
        ${only.answer.reasoning || null}::text as reasoning`
    : sql`
      select distinct on (s.run_id) s.run_id, s.name, s.output->>'content' as content, s.output->>'reasoning' as reasoning
      from run_steps s join orphans o on o.id = s.run_id
      where s.name in (${responseSteps})
      order by s.run_id, s.seq desc`;
  const [row] = await selectRows<{ closed: number }>(
    db,
    sql`
    with orphans as (
      update runs set status = 'interrupted', ended_at = now()
      where status = 'running' ${only ? sql`and id = ${only.runId}` : sql``}
      returning id, conversation_id
    ), answers as (${answers}
    ), stored as (
      insert into messages (id, conversation_id, run_id, role, content, type, mode, status, reasoning)
      select gen_random_uuid(), o.conversation_id, o.id, 'assistant', coalesce(a.content, ''),
        case when a.name = 'generate_code' then 'code' else 'text' end, a.name, 'interrupted', a.reasoning
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
    select count(*)::int as closed from orphans`,
  );
  return Number(row?.closed ?? 0);
}

