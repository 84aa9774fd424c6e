'use client';

import { useEffect, useRef, useState } from 'react';
import type { ChatItem } from '@/lib/contract';
import { EmptyState } from '@/components/chat/EmptyState';
import { PromptForm } from '@/components/chat/PromptForm';
import { Transcript } from '@/components/chat/Transcript';
import { useFollowScroll } from '@/components/chat/use-follow-scroll';
import { useAttachments } from '@/components/chat/use-attachments';
import { useRun } from '@/components/chat/use-run';

/**
 * A conversation as the reader uses it: its messages, the answer being streamed and the prompt box. The stored
 * messages come from the server render; once a turn is stored and the refreshed list holds it, the stored copy
 * takes the live one's place (the same elements: nothing is rendered anew).
 */
type ChatProps = {
  conversationId: string | null;
  messages: ChatItem[];
  /** A run was under way when the page was rendered: pick it up and show it continuing. */
  running?: boolean;
};

export function Chat({ conversationId, messages, running = false }: ChatProps) {
  const persistedCount = messages.length;
  const { turn, busy, stopping, send, resume, stop, ensureConversation } = useRun({ conversationId, persistedCount, running });
  const files = useAttachments(ensureConversation);
  const resumed = useRef(false);
  useEffect(() => {
    if (!running || resumed.current) return;
    resumed.current = true;
    void resume();
  }, [running, resume]);
  const followAnswer = useFollowScroll();
  const [draft, setDraft] = useState('');
  const [sendError, setSendError] = useState<string | null>(null);

  const onSend = async () => {
    const prompt = draft;
    if (!prompt.trim() || busy || files.uploading) return;
    setSendError(null);
    setDraft('');
    const { attachments, taken } = files.take();
    followAnswer();
    const refusal = await send(prompt, attachments);
    if (refusal) {
      // Nothing was sent: the prompt and its files come back, so nothing is lost.
      setDraft(prompt);
      files.restore(taken);
      setSendError(refusal.message);
    }
  };

  return (
    <>
      <Transcript messages={messages} conversationId={conversationId} turn={turn} />
      {persistedCount === 0 && !turn ? <EmptyState /> : null}
      <PromptForm
        draft={draft}
        onDraftChange={setDraft}
        onSend={() => void onSend()}
        onStop={() => void stop()}
        busy={busy}
        stopping={stopping}
        error={sendError}
        files={files}
      />
    </>
  );
}
