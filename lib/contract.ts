/**
 * The public contract of Sluice: request bodies, ChatItem, stream events and error bodies.
 * Server and client both take their types from here, so the wire format has one definition.
 */
import { z } from 'zod';

/** The response steps a model answers; the others stream a fixed text. */
export const MODEL_RESPONSE_STEPS = ['answer_question', 'generate_poem', 'generate_code'] as const;
export const FIXED_TEXT_STEPS = ['prompt_for_more', 'unsafe_response'] as const;
export type ModelResponseStep = (typeof MODEL_RESPONSE_STEPS)[number];
export type FixedTextStep = (typeof FIXED_TEXT_STEPS)[number];

export const RESPONSE_STEPS = [...MODEL_RESPONSE_STEPS, ...FIXED_TEXT_STEPS] as const;
export const ResponseStepSchema = z.enum(RESPONSE_STEPS);
export type ResponseStep = z.infer<typeof ResponseStepSchema>;

export function isModelResponseStep(step: ResponseStep): step is ModelResponseStep {
  return (MODEL_RESPONSE_STEPS as readonly ResponseStep[]).includes(step);
}

/** The four modes the router may choose; `unsafe_response` is chosen by the safety check only. */
export const MODES = [...MODEL_RESPONSE_STEPS, 'prompt_for_more'] as const;
export const ModeSchema = z.enum(MODES);
export type Mode = z.infer<typeof ModeSchema>;

/** The steps a run reports and traces; `prompt`, the resting state, is not one of them. */
export const REPORTED_STEPS = ['check_safety', 'decide_mode', ...RESPONSE_STEPS] as const;
export const ReportedStepSchema = z.enum(REPORTED_STEPS);
export type ReportedStep = z.infer<typeof ReportedStepSchema>;

export const STEP_NAMES = ['prompt', ...REPORTED_STEPS] as const;
export const StepNameSchema = z.enum(STEP_NAMES);
export type StepName = z.infer<typeof StepNameSchema>;

export const StepStatusSchema = z.enum(['started', 'completed', 'failed', 'interrupted']);
export type StepStatus = z.infer<typeof StepStatusSchema>;

/** Tokens a model call took in and gave out; `estimated` when the server reported none. */
export const TokenUsageSchema = z.object({ input: z.number().int(), output: z.number().int(), estimated: z.boolean() });
export type TokenUsage = z.infer<typeof TokenUsageSchema>;

/** A file sent with a prompt: an image the model sees, or a text file it reads. Its bytes: `GET /api/attachments/{id}`. */
export const AttachmentSchema = z.object({ id: z.uuid(), name: z.string(), type: z.string(), size: z.number().int().nonnegative() });
export type Attachment = z.infer<typeof AttachmentSchema>;

/** At most this many files go with one prompt. */
export const MAX_ATTACHMENTS_PER_PROMPT = 8;

export const ChatItemStatusSchema = z.enum(['complete', 'interrupted', 'error']);
export type ChatItemStatus = z.infer<typeof ChatItemStatusSchema>;

export const ChatItemSchema = z.object({
  id: z.string(),
  role: z.enum(['user', 'assistant']),
  content: z.string(),
  type: z.enum(['text', 'code', 'error']),
  mode: ResponseStepSchema.optional(),
  status: ChatItemStatusSchema,
  createdAt: z.string(),
  /** The run that wrote it (absent for messages copied into a fork): what Edit and Regenerate fork from. */
  runId: z.string().optional(),
  /** An answer a model wrote: the tokens its response step used (its reasoning counted in). */
  tokens: TokenUsageSchema.optional(),
  /** An answer's reasoning, when the model showed its thinking before answering; never sent back to the model. */
  reasoning: z.string().optional(),
  /** How long the model thought: from its first reasoning to its first answer token (absent when not measured). */
  reasoningMs: z.number().int().nonnegative().optional(),
  /** A prompt's files, in the order they were attached. */
  attachments: z.array(AttachmentSchema).optional(),
});
export type ChatItem = z.infer<typeof ChatItemSchema>;

export const ERROR_CODES = [
  'invalid_json',
  'invalid_prompt',
  'invalid_event_id',
  'invalid_body',
  'invalid_query',
  'prompt_too_large',
  'body_too_large',
  'unsupported_media_type',
  'attachment_too_large',
  'forbidden_origin',
  'not_found',
  'method_not_allowed',
  'run_in_progress',
  'no_run',
  'rate_limited',
  'upstream_error',
  'upstream_timeout',
  'upstream_rate_limited',
  'upstream_malformed',
  'internal_error',
  'producer_lost',
  'stream_unavailable',
  'store_unavailable',
  'sign_in_off',
  'sign_in_failed',
  'sign_in_unavailable',
] as const;
export const ErrorCodeSchema = z.enum(ERROR_CODES);
export type ErrorCode = z.infer<typeof ErrorCodeSchema>;

export const ErrorInfoSchema = z.object({ code: ErrorCodeSchema, message: z.string() });
export type ErrorInfo = z.infer<typeof ErrorInfoSchema>;
export const ErrorBodySchema = z.object({ error: ErrorInfoSchema });
export type ErrorBody = z.infer<typeof ErrorBodySchema>;

export const StreamEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('chat_history'), value: z.array(ChatItemSchema) }),
  z.object({
    type: z.literal('step'),
    value: z.object({ name: ReportedStepSchema, status: StepStatusSchema }),
  }),
  z.object({ type: z.literal('mode'), value: ResponseStepSchema }),
  z.object({ type: z.literal('delta'), value: z.string() }),
  /** The model's reasoning before its answer, as it streams: never part of `delta`. */
  z.object({ type: z.literal('reasoning'), value: z.string() }),
  /** A conversation's first run: the title a model wrote, when it was ready before `done` (it is stored either way). */
  z.object({ type: z.literal('title'), value: z.object({ title: z.string() }) }),
  z.object({ type: z.literal('done'), value: ChatItemSchema }),
  z.object({ type: z.literal('error'), value: ErrorInfoSchema }),
]);
export type StreamEvent = z.infer<typeof StreamEventSchema>;
export type StreamEventType = StreamEvent['type'];

/** `toWellFormed` would silently repair a lone surrogate; text with one is refused instead. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Text the store can hold, for everything a client sends to be stored: valid Unicode (no lone surrogate) without
 * NUL, which PostgreSQL's text and jsonb refuse (the statement would fail after the request was accepted).
 */
const isStorableText = (text: string) => !text.includes('\u0000') && !LONE_SURROGATE.test(text);

export const PostMessageBodySchema = z.object({
  prompt: z
    .string({ error: 'prompt must be a string' })
    .refine((s) => s.trim().length > 0, 'prompt must not be blank')
    .refine(isStorableText, 'prompt must be valid Unicode text without NUL'),
  /** Ids of this conversation's uploads, not sent with a prompt yet. */
  attachments: z
    .array(z.uuid({ error: 'attachments must hold the ids of uploads' }), { error: 'attachments must be an array of upload ids' })
    .max(MAX_ATTACHMENTS_PER_PROMPT, `attachments must hold at most ${MAX_ATTACHMENTS_PER_PROMPT} ids`)
    .refine((ids) => new Set(ids).size === ids.length, 'attachments must not name an upload twice')
    .optional(),
});
export type PostMessageBody = z.infer<typeof PostMessageBodySchema>;

/** Where to fork from: a step a run took. `prompt` (a replacement) only with step `prompt`: an edit. */
export const FORK_STEPS = ['prompt', ...REPORTED_STEPS] as const;
export const ForkBodySchema = z
  .object({
    runId: z.uuid({ error: 'runId must be the id of a run' }),
    step: z.enum(FORK_STEPS, { error: `step must be one of ${FORK_STEPS.join(', ')}` }),
    prompt: PostMessageBodySchema.shape.prompt.optional(),
  })
  .refine((body) => body.prompt === undefined || body.step === 'prompt', 'a replacement prompt needs step "prompt"');
export type ForkBody = z.infer<typeof ForkBodySchema>;

/** `PATCH /api/conversations/{id}`: a new title, 1 to 120 characters once trimmed. */
export const RenameConversationBodySchema = z.object(
  {
    title: z
      .string({ error: 'title must be a string' })
      .trim()
      .min(1, 'title must not be blank')
      .max(120, 'title must be at most 120 characters')
      .refine(isStorableText, 'title must be valid Unicode text without NUL'),
  },
  { error: 'the body must be a JSON object with a title' },
);
export type RenameConversationBody = z.infer<typeof RenameConversationBodySchema>;

/** `POST /api/conversations` takes no fields yet: an empty body or a JSON object. */
export const CreateConversationBodySchema = z.object({}, { error: 'the body must be a JSON object' });

/** Where a fork came from: the conversation, the run and the step it was forked at. */
export const ForkOriginSchema = z.object({ conversationId: z.string(), runId: z.string(), step: z.string() });
export type ForkOrigin = z.infer<typeof ForkOriginSchema>;

export const ConversationSummarySchema = z.object({
  id: z.string(),
  title: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  parent: ForkOriginSchema.optional(),
});
export type ConversationSummary = z.infer<typeof ConversationSummarySchema>;

export const ConversationListSchema = z.object({ conversations: z.array(ConversationSummarySchema) });

/** Where a search matched: a window of the text, and `[start, end)` offsets of the matches in it (UTF-16 code units). */
export const SnippetSchema = z.object({ text: z.string(), highlights: z.array(z.tuple([z.number().int(), z.number().int()])) });
export type Snippet = z.infer<typeof SnippetSchema>;
export const SearchHitSchema = ConversationSummarySchema.extend({ snippet: SnippetSchema });
export type SearchHit = z.infer<typeof SearchHitSchema>;
/** `GET /api/conversations?q=`: the matching conversations, best match first. */
export const SearchResultsSchema = z.object({ conversations: z.array(SearchHitSchema) });
export const ConversationSchema = z.object({
  id: z.string(),
  title: z.string(),
  messages: z.array(ChatItemSchema),
  parent: ForkOriginSchema.optional(),
  /** The conversations forked from this one, oldest first. */
  forks: z.array(z.object({ id: z.string(), runId: z.string(), step: z.string() })),
});
export type Conversation = z.infer<typeof ConversationSchema>;
export const CreatedConversationSchema = z.object({ id: z.string() });

/** `POST /api/conversations/{id}/share`: the link anyone can read the conversation at. */
export const ShareSchema = z.object({ url: z.url() });
export type Share = z.infer<typeof ShareSchema>;

/** A message as a stranger reading a shared conversation sees it: no run behind it. */
export const SharedItemSchema = ChatItemSchema.omit({ runId: true });
/** `GET /api/shared/{token}`: the shared conversation as it is now. */
export const SharedConversationSchema = z.object({ title: z.string(), messages: z.array(SharedItemSchema) });
export type SharedConversation = z.infer<typeof SharedConversationSchema>;

/** The trace of runs, for the inspector: `GET /api/conversations/{id}/runs`. */
export const RunStatusSchema = z.enum(['running', 'complete', 'error', 'interrupted']);
export type RunStatus = z.infer<typeof RunStatusSchema>;


export const TraceStepSchema = z.object({
  name: ReportedStepSchema,
  status: StepStatusSchema,
  startedAt: z.string(),
  endedAt: z.string().nullable(),
  /** Model-answering steps: from the step's start to the first token. */
  firstTokenMs: z.number().optional(),
  /** Model-answering steps: the tokens the server reported, or an estimate (`estimated: true`). */
  tokens: TokenUsageSchema.optional(),
  /** The request body sent upstream (messages and parameters; never headers or keys), else what the step began from. */
  input: z.unknown(),
  output: z.unknown(),
  /** The machine after the step (state value and context): what a fork starts from. */
  state: z.object({ value: z.unknown(), context: z.unknown() }).nullable(),
});
export type TraceStep = z.infer<typeof TraceStepSchema>;

export const RunTraceSchema = z.object({
  id: z.string(),
  prompt: z.string(),
  startedAt: z.string(),
  endedAt: z.string().nullable(),
  status: RunStatusSchema,
  mode: ResponseStepSchema.nullable(),
  error: ErrorInfoSchema.nullable(),
  steps: z.array(TraceStepSchema),
});
export type RunTrace = z.infer<typeof RunTraceSchema>;
export const RunListSchema = z.object({ runs: z.array(RunTraceSchema) });

/** `GET /api/auth/session`: whether sign-in is offered here, and who this session is signed in as. */
export const SessionInfoSchema = z.object({
  signIn: z.enum(['available', 'off']),
  account: z.object({ name: z.string().nullable(), email: z.string().nullable() }).nullable(),
});
export type SessionInfo = z.infer<typeof SessionInfoSchema>;

export const HealthSchema = z.union([
  z.object({
    status: z.literal('ok'),
    provider: z.enum(['demo', 'openai']),
    chatModel: z.string(),
    routerModel: z.string(),
    store: z.enum(['pglite', 'postgres']),
  }),
  /** Sent with 503: the store does not answer, or refuses writes; a load balancer should send traffic elsewhere. */
  z.object({ status: z.literal('unavailable'), store: z.literal('unavailable') }),
]);
export type Health = z.infer<typeof HealthSchema>;

/** Where in a JSON value a string holds what PostgreSQL text and jsonb cannot: NUL, or a lone surrogate. */
function findUnstorableText(value: unknown, path: (string | number)[] = []): (string | number)[] | null {
  if (typeof value === 'string') return isStorableText(value) ? null : path;
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) {
      const found = findUnstorableText(item, [...path, index]);
      if (found) return found;
    }
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const found = findUnstorableText(key, [...path, key]) ?? findUnstorableText(item, [...path, key]);
      if (found) return found;
    }
  }
  return null;
}

/** A date as the export writes them (ISO 8601, four-digit years, as the store keeps them); anything else is refused. */
const DateTextSchema = z.iso.datetime({ offset: true, error: 'must be a date such as 2026-12-03T10:00:00.000Z' });

export const EXPORT_FORMAT = 'sluice.conversation';

/**
 * `GET /api/conversations/{id}/export?format=json`, and what `POST /api/conversations/import` takes back: the
 * conversation, its messages (ChatItem) and its runs with their steps (as `GET .../runs` gives them).
 */
export const ExportDocumentSchema = z.object(
  {
    format: z.literal(EXPORT_FORMAT, { error: `format must be "${EXPORT_FORMAT}": this is not a Sluice conversation` }),
    version: z.literal(1, { error: 'version must be 1, the only version this server reads' }),
    conversation: z.object({ title: z.string().max(1000), createdAt: DateTextSchema, parent: ForkOriginSchema.optional() }),
    messages: z.array(ChatItemSchema.extend({ createdAt: DateTextSchema })).max(100_000),
    runs: z
      .array(
        RunTraceSchema.extend({
          startedAt: DateTextSchema,
          endedAt: DateTextSchema.nullable(),
          steps: z.array(TraceStepSchema.extend({ startedAt: DateTextSchema, endedAt: DateTextSchema.nullable() })).max(100),
        }),
      )
      .max(100_000),
    /** The files the messages show, their bytes in base64 (their types are decided again from the bytes). */
    attachments: z.array(AttachmentSchema.extend({ data: z.base64({ error: 'must be the file in base64' }) })).max(10_000).optional(),
  },
  { error: 'the body must be a JSON object' },
).superRefine((document, context) => {
  const runs = new Set(document.runs.map((run) => run.id));
  const files = new Set(document.attachments?.map((file) => file.id));
  document.messages.forEach((message, index) => {
    if (message.runId !== undefined && !runs.has(message.runId)) {
      context.addIssue({ code: 'custom', path: ['messages', index, 'runId'], message: 'names no run of the document' });
    }
    message.attachments?.forEach((file, at) => {
      if (!files.has(file.id)) context.addIssue({ code: 'custom', path: ['messages', index, 'attachments', at, 'id'], message: 'names no file of the document' });
    });
  });
  const unstorable = findUnstorableText(document);
  if (unstorable) context.addIssue({ code: 'custom', path: unstorable, message: 'holds NUL or a lone surrogate, which cannot be stored' });
});
export type ExportDocument = z.infer<typeof ExportDocumentSchema>;
export const ExportFormatSchema = z.enum(['markdown', 'json'], { error: 'format must be markdown or json' });
