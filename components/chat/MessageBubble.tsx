import type { Attachment, ChatItem, ErrorInfo, ResponseStep, TokenUsage } from '@/lib/contract';
import type { ReactNode } from 'react';
import { CopyButton } from '@/components/chat/CopyButton';
import { MODE_BADGE } from '@/lib/chat/labels';
import { Markdown } from '@/components/chat/Markdown';
import { MessageFiles } from '@/components/chat/MessageFiles';
import { ReasoningBlock } from '@/components/chat/ReasoningBlock';

/** Where a conversation's files are served: the owner's path, or a shared link's. */
export const OWNER_FILES = '/api/attachments';

export function UserBubble({ content, attachments, fileBase = OWNER_FILES }: { content: string; attachments?: Attachment[] | undefined; fileBase?: string }) {
  return (
    <div className="flex flex-col items-end gap-2" data-role="user">
      {attachments?.length ? <MessageFiles files={attachments} fileBase={fileBase} /> : null}
      <div className="max-w-[85%] rounded-2xl bg-muted px-4 py-2 whitespace-pre-wrap break-words">{content}</div>
    </div>
  );
}

function ErrorNote({ children }: { children: string }) {
  return (
    <p role="alert" className="rounded-lg border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-900 dark:border-red-800 dark:bg-red-950/50 dark:text-red-200">
      {children}
    </p>
  );
}

type AssistantBubbleProps = {
  content: string;
  type?: ChatItem['type'];
  mode?: ResponseStep | null;
  status?: ChatItem['status'];
  streaming?: boolean;
  progress?: string | null;
  error?: ErrorInfo | null;
  /** More buttons beside Copy (Regenerate). */
  actions?: ReactNode;
  tokens?: TokenUsage;
  /** The model's reasoning before the answer, and how long it thought when the server measured it. */
  reasoning?: string;
  reasoningMs?: number;
};

/** The answer's token counts in small print: `~` marks an estimate (the server reported none). */
function TokenCount({ tokens }: { tokens: TokenUsage }) {
  const approx = tokens.estimated ? '~' : '';
  return (
    <span
      data-testid="tokens"
      title={`${approx}${tokens.input} tokens in, ${approx}${tokens.output} out${tokens.estimated ? ' (estimated: the server reported none)' : ''}`}
      className="tabular-nums"
    >
      {approx}
      {tokens.output} tokens
    </span>
  );
}

/** One assistant answer, stored or streaming: same markup in both, so the hand-over shows no change. */
export function AssistantBubble({
  content,
  type = 'text',
  mode,
  status = 'complete',
  streaming = false,
  progress,
  error,
  actions,
  tokens,
  reasoning,
  reasoningMs,
}: AssistantBubbleProps) {
  return (
    <article className="group flex flex-col gap-1" data-role="assistant" data-status={streaming ? 'streaming' : status} aria-label="Assistant answer">
      <div className="flex min-h-6 items-center gap-2 text-xs text-muted-foreground">
        {mode ? (
          <span className="rounded-full border border-border px-2 py-0.5 font-medium" data-testid="mode-badge">
            {MODE_BADGE[mode]}
          </span>
        ) : null}
        {progress ? (
          <span className="flex items-center gap-1.5" data-testid="progress">
            <span className="size-1.5 animate-pulse rounded-full bg-accent" aria-hidden />
            {progress}…
          </span>
        ) : null}
        {status === 'interrupted' && !streaming ? (
          <span className="rounded-full bg-amber-100 px-2 py-0.5 font-medium text-amber-900 dark:bg-amber-900/40 dark:text-amber-200">
            Interrupted
          </span>
        ) : null}
        {status === 'error' && !streaming && type !== 'error' ? (
          <span className="rounded-full bg-red-100 px-2 py-0.5 font-medium text-red-900 dark:bg-red-900/40 dark:text-red-200">
            Ended with an error
          </span>
        ) : null}
        {tokens && !streaming ? <TokenCount tokens={tokens} /> : null}
        {!streaming && content && type !== 'error' ? (
          <span className="ml-auto flex items-center opacity-100 md:opacity-0 md:group-focus-within:opacity-100 md:group-hover:opacity-100">
            {actions}
            <CopyButton text={content} />
          </span>
        ) : null}
      </div>
      {reasoning ? <ReasoningBlock reasoning={reasoning} thinking={streaming && content === ''} ms={reasoningMs} /> : null}
      {type === 'error' ? (
        <ErrorNote>{content}</ErrorNote>
      ) : content ? (
        <Markdown streaming={streaming}>{content}</Markdown>
      ) : null}
      {error ? (
        <ErrorNote>{error.message}</ErrorNote>
      ) : null}
    </article>
  );
}
