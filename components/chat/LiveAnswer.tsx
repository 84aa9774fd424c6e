import { AssistantBubble, UserBubble } from '@/components/chat/MessageBubble';
import type { LiveTurn } from '@/components/chat/live-turn';

/** The turn being answered: the prompt, then the answer as it streams, in the stored messages' own markup. */
export function LiveAnswer({ turn }: { turn: LiveTurn }) {
  const streaming = turn.phase !== 'finished';
  return (
    <>
      {turn.prompt === null ? null : <UserBubble content={turn.prompt} />}
      <div aria-live="polite" aria-busy={streaming} data-testid="live-answer">
        <AssistantBubble
          content={turn.result?.content ?? turn.text}
          type={turn.result?.type ?? 'text'}
          mode={turn.result?.mode ?? turn.mode}
          status={turn.result?.status ?? (turn.error ? 'error' : 'complete')}
          streaming={streaming}
          progress={turn.phase === 'stopping' ? 'Stopping' : turn.progress}
          error={turn.error}
          {...(turn.result?.tokens ? { tokens: turn.result.tokens } : {})}
        />
      </div>
    </>
  );
}
