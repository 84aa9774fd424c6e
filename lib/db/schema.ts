import { sql } from 'drizzle-orm';
import {
  bigserial,
  customType,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
  type AnyPgColumn,
  type PgDatabase,
  type PgQueryResultHKT,
} from 'drizzle-orm/pg-core';

/** A text-search document, written by the store itself (a generated column), never by the app. */
const tsvector = customType<{ data: string }>({ dataType: () => 'tsvector' });

/**
 * What search reads of a text: its English words, stemmed (`rivers` is `river`), of its first 100,000 characters
 * (a tsvector holds at most 1 MB; an answer longer than that is found by its beginning). Dots, slashes, underscores
 * and at signs separate words, so `xs.reduce` and `snake_case` are found by their parts, as the search box splits them.
 */
export const searchDocument = (column: AnyPgColumn) => sql`to_tsvector('english', translate(left(${column}, 100000), '._/@', '    '))`;

/** Bytes as the store keeps them (a file's content). */
const bytea = customType<{ data: Uint8Array; driverData: Uint8Array }>({
  dataType: () => 'bytea',
  // Both drivers take a Buffer as bytea.
  toDriver: (value) => Buffer.from(value.buffer, value.byteOffset, value.byteLength),
});

/** One schema for PGlite (PostgreSQL 18) and PostgreSQL 15+: only features both have. */
export const conversations = pgTable(
  'conversations',
  {
    id: uuid('id').primaryKey(),
    /** The session that made it (the SHA-256 of its cookie token): only that session sees it. */
    ownerId: text('owner_id').notNull(),
    title: text('title').notNull().default(''),
    /**
     * Who wrote the title: `prompt` (the first prompt, cut), `model` (written beside the first run) or `user` (a
     * rename, which nothing overwrites).
     */
    titleSource: text('title_source', { enum: ['prompt', 'model', 'user'] }).notNull().default('prompt'),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    /** The agent's persisted XState snapshot, taken when it rests in `prompt` between turns. */
    snapshot: jsonb('snapshot'),
    /**
     * Orders the conversation list: taken from a sequence at creation and at every message, so the one that
     * spoke last comes first even when two speak within the same clock tick, without scanning the others.
     */
    activity: bigserial('activity', { mode: 'number' }).notNull(),
    /** For a fork: the conversation, run and step it was forked from (the run's id stays if the run is gone). */
    forkedFromConversationId: uuid('forked_from_conversation_id').references((): AnyPgColumn => conversations.id, { onDelete: 'set null' }),
    forkedFromRunId: uuid('forked_from_run_id'),
    forkedFromStep: text('forked_from_step'),
    /** The title as search reads it. */
    titleSearch: tsvector('title_search').generatedAlwaysAs((): ReturnType<typeof sql> => searchDocument(conversations.title)),
  },
  // A session's list, newest activity first, read from the index alone.
  (t) => [
    index('conversations_owner_activity_idx').on(t.ownerId, t.activity.desc()),
    index('conversations_forked_from_idx').on(t.forkedFromConversationId),
    index('conversations_title_search_idx').using('gin', t.titleSearch),
  ],
);

/**
 * Runs started per session in the current rate-limit window. A fixed window, counted in the store with one
 * atomic upsert, so the limit holds however many server processes share the store.
 */
export const runQuotas = pgTable('run_quotas', {
  ownerId: text('owner_id').primaryKey(),
  windowStartedAt: timestamp('window_started_at', { withTimezone: true, mode: 'date' }).notNull(),
  runs: integer('runs').notNull(),
});

export const runs = pgTable(
  'runs',
  {
    id: uuid('id').primaryKey(),
    conversationId: uuid('conversation_id')
      .notNull()
      .references(() => conversations.id, { onDelete: 'cascade' }),
    prompt: text('prompt').notNull(),
    status: text('status', { enum: ['running', 'complete', 'interrupted', 'error'] }).notNull(),
    mode: text('mode'),
    error: jsonb('error'),
    startedAt: timestamp('started_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    endedAt: timestamp('ended_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [
    index('runs_conversation_idx').on(t.conversationId, t.startedAt),
    // One run at a time per conversation, whichever instance starts it: the second insert fails, atomically.
    uniqueIndex('runs_one_running_per_conversation').on(t.conversationId).where(sql`${t.status} = 'running'`),
  ],
);

export const messages = pgTable(
  'messages',
  {
    /** Insertion order: timestamps can tie within a millisecond. */
    seq: bigserial('seq', { mode: 'number' }).primaryKey(),
    id: uuid('id').notNull().unique(),
    conversationId: uuid('conversation_id')
      .notNull()
      .references(() => conversations.id, { onDelete: 'cascade' }),
    runId: uuid('run_id').references(() => runs.id, { onDelete: 'set null' }),
    role: text('role', { enum: ['user', 'assistant'] }).notNull(),
    content: text('content').notNull(),
    type: text('type', { enum: ['text', 'code', 'error'] }).notNull(),
    mode: text('mode'),
    status: text('status', { enum: ['complete', 'interrupted', 'error'] }).notNull(),
    /** An answer's reasoning, when the model showed it (never sent back upstream), and how long it thought. */
    reasoning: text('reasoning'),
    reasoningMs: integer('reasoning_ms'),
    /** A prompt's files (`[{id, name, type, size}]`, in the order attached); their bytes are in `attachments`. */
    attachments: jsonb('attachments'),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    /** The content as search reads it. */
    search: tsvector('search').generatedAlwaysAs((): ReturnType<typeof sql> => searchDocument(messages.content)),
  },
  (t) => [index('messages_conversation_idx').on(t.conversationId, t.seq), index('messages_search_idx').using('gin', t.search)],
);

/**
 * A file uploaded to a conversation, to go with a prompt: its bytes and the type decided from them. A fork, a copy
 * of a shared conversation or an import takes copies under the same id, so the messages that name it need no
 * rewriting; whoever owns a conversation holding the id may read it.
 */
export const attachments = pgTable(
  'attachments',
  {
    id: uuid('id').notNull(),
    conversationId: uuid('conversation_id')
      .notNull()
      .references(() => conversations.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    type: text('type').notNull(),
    size: integer('size').notNull(),
    data: bytea('data').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    /** When a prompt took it: an upload is sent once. */
    usedAt: timestamp('used_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [primaryKey({ columns: [t.conversationId, t.id] }), index('attachments_id_idx').on(t.id)],
);

/** The trace of a run: one row per step, with what went in and out and the machine's state after it. */
export const runSteps = pgTable(
  'run_steps',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    runId: uuid('run_id')
      .notNull()
      .references(() => runs.id, { onDelete: 'cascade' }),
    seq: integer('seq').notNull(),
    name: text('name').notNull(),
    status: text('status', { enum: ['started', 'completed', 'failed', 'interrupted'] }).notNull(),
    /** What the step sent upstream (the request body), or what it started from when it calls no model. */
    input: jsonb('input'),
    output: jsonb('output'),
    snapshot: jsonb('snapshot'),
    /** When a model-answering step's first token arrived. */
    firstTokenAt: timestamp('first_token_at', { withTimezone: true, mode: 'date' }),
    /** `{input, output, estimated}` tokens of the step's model call. */
    usage: jsonb('usage'),
    startedAt: timestamp('started_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    endedAt: timestamp('ended_at', { withTimezone: true, mode: 'date' }),
  },
  // One row per step of a run: the trace writer upserts on it.
  (t) => [uniqueIndex('run_steps_run_seq_idx').on(t.runId, t.seq)],
);

/**
 * A person signed in with the OpenID Connect provider, known by the issuer and its `sub`. The conversations of an
 * account are owned by `account:<id>` (see lib/services/session.ts), so ownership stays one column.
 */
export const accounts = pgTable(
  'accounts',
  {
    id: uuid('id').primaryKey(),
    issuer: text('issuer').notNull(),
    subject: text('subject').notNull(),
    name: text('name'),
    email: text('email'),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    signedInAt: timestamp('signed_in_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('accounts_issuer_subject_idx').on(t.issuer, t.subject)],
);

/**
 * A browser signed in to an account: the SHA-256 of its cookie's token. Signing out deletes the row, so the cookie
 * stops working everywhere at once, even replayed.
 */
export const accountSessions = pgTable(
  'account_sessions',
  {
    tokenHash: text('token_hash').primaryKey(),
    accountId: uuid('account_id')
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (t) => [index('account_sessions_account_idx').on(t.accountId)],
);

export const schema = { conversations, runs, messages, attachments, runSteps, runQuotas, accounts, accountSessions };
export type Schema = typeof schema;

/** A database handle over this schema: PGlite or PostgreSQL, passed to every query. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;

/**
 * A conversation shared by link: anyone with `/s/{token}` reads it (as it is now, read-only). One link per
 * conversation; deleting the row kills the link at once, on every instance (nothing caches it).
 */
export const shares = pgTable('shares', {
  conversationId: uuid('conversation_id')
    .primaryKey()
    .references(() => conversations.id, { onDelete: 'cascade' }),
  /** 192 random bits, base64url: the link itself, so it is kept to hand the same link out again. */
  token: text('token').notNull().unique(),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
});
