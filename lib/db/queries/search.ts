import 'server-only';
import { sql } from 'drizzle-orm';
import type { SearchHit } from '@/lib/contract';
import { forkOriginOf } from '@/lib/db/queries/conversations';
import { selectRows } from '@/lib/db/queries/rows';
import type { Db } from '@/lib/db/schema';
import { MATCH_END, MATCH_START, snippetFromHeadline } from '@/lib/search/snippet';

type HitRow = {
  id: string;
  title: string;
  created_at: Date | string;
  updated_at: Date | string;
  forked_from_conversation_id: string | null;
  forked_from_run_id: string | null;
  forked_from_step: string | null;
  headline: string;
};

/** How a snippet is cut: about 12 to 24 words around a match, whole words, short ones kept. */
const HEADLINE_OPTIONS = `StartSel=${MATCH_START}, StopSel=${MATCH_END}, MinWords=12, MaxWords=24, ShortWord=1, MaxFragments=1, FragmentDelimiter=" … "`;

/**
 * The owner's conversations whose title, or one of whose messages, holds every term of `terms` (a `to_tsquery`
 * text from lib/search/search-terms.ts), best match first (a title match counts double; ties: the most recent
 * activity), at most `limit`. Each comes with a snippet of its best-matching message, or of its title when only the
 * title matches. Both documents are the store's generated, GIN-indexed columns (lib/db/schema.ts).
 */
export async function searchConversations(db: Db, ownerId: string, terms: string, limit = 50): Promise<SearchHit[]> {
  const rows = await selectRows<HitRow>(
    db,
    sql`
    with q as (select to_tsquery('english', ${terms}) as query),
    message_hits as (
      select distinct on (m.conversation_id) m.conversation_id, m.id as message_id, ts_rank(m.search, q.query) as rank
      from q, messages m join conversations c on c.id = m.conversation_id
      where c.owner_id = ${ownerId} and m.search @@ q.query
      order by m.conversation_id, rank desc, m.seq
    ),
    title_hits as (
      select c.id as conversation_id, ts_rank(c.title_search, q.query) as rank
      from q, conversations c
      where c.owner_id = ${ownerId} and c.title_search @@ q.query
    ),
    ranked as (
      select coalesce(mh.conversation_id, th.conversation_id) as id, mh.message_id,
        coalesce(th.rank, 0) * 2 + coalesce(mh.rank, 0) as rank
      from message_hits mh full join title_hits th on th.conversation_id = mh.conversation_id
    ),
    top as (
      select r.id, r.message_id, r.rank, c.title, c.created_at, c.updated_at, c.activity,
        c.forked_from_conversation_id, c.forked_from_run_id, c.forked_from_step
      from ranked r join conversations c on c.id = r.id
      order by r.rank desc, c.activity desc
      limit ${limit}
    )
    select top.id, top.title, top.created_at, top.updated_at,
      top.forked_from_conversation_id, top.forked_from_run_id, top.forked_from_step,
      ts_headline(
        'english',
        regexp_replace(translate(left(coalesce(m.content, top.title), 100000), ${MATCH_START + MATCH_END}, ''), '\\s+', ' ', 'g'),
        q.query,
        ${HEADLINE_OPTIONS}
      ) as headline
    from top cross join q left join messages m on m.id = top.message_id
    order by top.rank desc, top.activity desc`,
  );
  return rows.map((row) => {
    const parent = forkOriginOf({
      forkedFromConversationId: row.forked_from_conversation_id,
      forkedFromRunId: row.forked_from_run_id,
      forkedFromStep: row.forked_from_step,
    });
    return {
      id: row.id,
      title: row.title,
      createdAt: new Date(row.created_at).toISOString(),
      updatedAt: new Date(row.updated_at).toISOString(),
      ...(parent ? { parent } : {}),
      snippet: snippetFromHeadline(row.headline),
    };
  });
}
