import type { ReactElement } from 'react';
import type { ChatItem } from '@/lib/contract';
import { EditablePrompt } from '@/components/chat/EditablePrompt';
import { ForkButton } from '@/components/chat/ForkButton';
import type { LiveTurn } from '@/lib/chat/live-turn';
import { AssistantBubble, OWNER_FILES, UserBubble } from '@/components/chat/MessageBubble';

type AnswerProps = Parameters<typeof AssistantBubble>[0] & { live: boolean };

/**
 * One answer, live or stored, in one element tree: when the stored list takes a streamed answer over, React keeps
 * this element (same type, same key) and its rendered Markdown, so the hand-over renders nothing anew and moves
 * nothing on screen.
 */
function Answer({ live, ...bubble }: AnswerProps) {
  return (
    <div aria-live={live ? 'polite' : undefined} aria-busy={live ? bubble.streaming : undefined} data-testid={live ? 'live-answer' : undefined}>
      <AssistantBubble {...bubble} />
    </div>
  );
}

function storedItem(item: ChatItem, conversationId: string | null, key: number, fileBase: string): ReactElement {
  const runId = conversationId ? item.runId : undefined;
  if (item.role === 'user') {
    return runId && conversationId ? (
      <EditablePrompt key={key} conversationId={conversationId} runId={runId} content={item.content} attachments={item.attachments} />
    ) : (
      <UserBubble key={key} content={item.content} attachments={item.attachments} fileBase={fileBase} />
    );
  }
  // Those a run of this conversation wrote can be branched from: Regenerate forks it into a new conversation.
  const regenerate =
    runId && conversationId && item.type !== 'error' ? (
      <ForkButton
        conversationId={conversationId}
        fork={{ runId, step: 'decide_mode' }}
        label="Regenerate"
        title="Write this answer again in a new conversation, with the same safety verdict and mode"
      />
    ) : null;
  return (
    <Answer
      key={key}
      live={false}
      content={item.content}
      type={item.type}
      mode={item.mode}
      status={item.status}
      actions={regenerate}
      {...(item.tokens ? { tokens: item.tokens } : {})}
      {...(item.reasoning ? { reasoning: item.reasoning } : {})}
      {...(item.reasoningMs !== undefined ? { reasoningMs: item.reasoningMs } : {})}
    />
  );
}

function liveAnswer(turn: LiveTurn, key: number): ReactElement {
  const streaming = turn.phase !== 'finished';
  return (
    <Answer
      key={key}
      live
      content={turn.result?.content ?? turn.text}
      type={turn.result?.type ?? 'text'}
      mode={turn.result?.mode ?? turn.mode}
      status={turn.result?.status ?? (turn.error ? 'error' : 'complete')}
      streaming={streaming}
      progress={turn.phase === 'stopping' ? 'Stopping' : turn.progress}
      error={turn.error}
      {...(turn.result?.tokens ? { tokens: turn.result.tokens } : {})}
      reasoning={turn.reasoning}
      {...(turn.result?.reasoningMs !== undefined ? { reasoningMs: turn.result.reasoningMs } : {})}
    />
  );
}

/**
 * The conversation: its stored messages, then the turn being answered. Each item is keyed by its place in the
 * conversation (messages are only ever appended), and the live prompt and answer take the places their stored
 * copies will have, so a finished turn is handed over in place. A place the stored list already fills is never
 * shown twice.
 */
type TranscriptProps = {
  messages: ChatItem[];
  conversationId: string | null;
  turn: LiveTurn | null;
  /** Where the messages' files are served: the owner's path unless this is a shared link's page. */
  fileBase?: string;
};

export function Transcript({ messages, conversationId, turn, fileBase = OWNER_FILES }: TranscriptProps) {
  const items = messages.map((item, index) => storedItem(item, conversationId, index, fileBase));
  if (turn) {
    const promptAt = turn.baseCount;
    const answerAt = turn.baseCount + 1;
    if (turn.prompt !== null && promptAt >= items.length) {
      items.push(<UserBubble key={promptAt} content={turn.prompt} attachments={turn.attachments} />);
    }
    if (answerAt >= items.length) items.push(liveAnswer(turn, answerAt));
  }
  return <>{items}</>;
}
