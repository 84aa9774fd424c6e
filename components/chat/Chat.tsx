'use client';

import { useEffect, useRef, useState } from 'react';
import { EmptyState } from '@/components/chat/EmptyState';
import { LiveAnswer } from '@/components/chat/LiveAnswer';
import { PromptForm } from '@/components/chat/PromptForm';
import { useFollowScroll } from '@/components/chat/use-follow-scroll';
import { useRun } from '@/components/chat/use-run';

/**
 * The interactive part of a conversation: the prompt box and the answer being streamed. Stored messages are
 * rendered by the server; once a turn is stored and the refreshed list holds it, the live copy steps aside.
 */
type ChatProps = {
  conversationId: string | null;
  persistedCount: number;
  /** A run was under way when the page was rendered: pick it up and show it continuing. */
  running?: boolean;
};

export function Chat({ conversationId, persistedCount, running = false }: ChatProps) {
  const { turn, busy, stopping, send, resume, stop } = useRun({ conversationId, persistedCount });
  const resumed = useRef(false);
  useEffect(() => {
    if (!running || resumed.current) return;
    resumed.current = true;
    void resume();
  }, [running, resume]);
  const followAnswer = useFollowScroll(turn);
  const [draft, setDraft] = useState('');
  const [sendError, setSendError] = useState<string | null>(null);

  const onSend = async () => {
    const prompt = draft;
    if (!prompt.trim() || busy) return;
    setSendError(null);
    setDraft('');
    followAnswer();
    const refusal = await send(prompt);
    if (refusal) {
      // Nothing was sent: the prompt comes back, so nothing typed is lost.
      setDraft(prompt);
      setSendError(refusal.message);
    }
  };

  return (
    <>
      {persistedCount === 0 && !turn ? <EmptyState /> : null}
      {turn ? <LiveAnswer turn={turn} /> : null}
      <PromptForm
        draft={draft}
        onDraftChange={setDraft}
        onSend={() => void onSend()}
        onStop={() => void stop()}
        busy={busy}
        stopping={stopping}
        error={sendError}
      />
    </>
  );
}
