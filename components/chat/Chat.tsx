'use client';

import { useRouter } from 'next/navigation';
import { useCallback, useEffect, useLayoutEffect, useRef, useState, useSyncExternalStore, useTransition, type FormEvent, type KeyboardEvent } from 'react';
import {
  CreatedConversationSchema,
  ErrorBodySchema,
  type ChatItem,
  type ErrorInfo,
  type ResponseStep,
  type StreamEvent,
} from '@/lib/contract';
import { readStreamEvents } from '@/lib/stream/read-sse';
import { AssistantBubble, UserBubble } from '@/components/chat/MessageBubble';
import { STEP_PROGRESS } from '@/components/chat/labels';

type LiveTurn = {
  prompt: string;
  /** How many stored messages the page showed when the turn began. */
  baseCount: number;
  progress: string | null;
  mode: ResponseStep | null;
  text: string;
  phase: 'streaming' | 'stopping' | 'finished';
  result: ChatItem | null;
  error: ErrorInfo | null;
};

function applyEvent(turn: LiveTurn, event: StreamEvent): LiveTurn {
  switch (event.type) {
    case 'chat_history':
      return turn;
    case 'step':
      if (event.value.status === 'started') return { ...turn, progress: STEP_PROGRESS[event.value.name] };
      return event.value.name === turn.mode || event.value.status !== 'completed' ? { ...turn, progress: null } : turn;
    case 'mode':
      return { ...turn, mode: event.value };
    case 'delta':
      return { ...turn, text: turn.text + event.value };
    case 'done':
      return { ...turn, phase: 'finished', progress: null, result: event.value, text: event.value.content };
    case 'error':
      return { ...turn, phase: 'finished', progress: null, error: event.value };
  }
}

/** A failure on this side of the stream ends the turn as a server `error` event would. */
const failTurn = (turn: LiveTurn, message: string) =>
  applyEvent(turn, { type: 'error', value: { code: 'internal_error', message } });

const subscribeToNothing = () => () => {};
const isNearBottom = () => window.innerHeight + window.scrollY >= document.documentElement.scrollHeight - 96;
const scrollToBottom = () => window.scrollTo({ top: document.documentElement.scrollHeight });

/**
 * The interactive part of a conversation: the prompt box and the answer being streamed. Stored messages are
 * rendered by the server; once a turn is stored and the refreshed list holds it, the live copy steps aside.
 */
export function Chat({ conversationId, persistedCount }: { conversationId: string | null; persistedCount: number }) {
  const router = useRouter();
  const [, startTransition] = useTransition();
  const [draft, setDraft] = useState('');
  const [live, setLive] = useState<LiveTurn | null>(null);
  const [formError, setFormError] = useState<string | null>(null);
  const idRef = useRef(conversationId);
  const inputRef = useRef<HTMLTextAreaElement>(null);
  const followRef = useRef(true);
  // False in the server HTML and during hydration, true once React handles events here.
  const hydrated = useSyncExternalStore(subscribeToNothing, () => true, () => false);

  const busy = live !== null && live.phase !== 'finished';
  const caughtUp = live !== null && live.phase === 'finished' && persistedCount >= live.baseCount + 2;
  const shown = caughtUp ? null : live;

  useEffect(() => {
    let lastY = window.scrollY;
    // Any move up is the reader's (following only ever scrolls down); reaching the bottom again resumes following.
    const onScroll = () => {
      const y = window.scrollY;
      if (y < lastY - 2) followRef.current = false;
      else if (isNearBottom()) followRef.current = true;
      lastY = y;
    };
    window.addEventListener('scroll', onScroll, { passive: true });
    scrollToBottom();
    return () => window.removeEventListener('scroll', onScroll);
  }, []);

  // Follow the answer as it grows, unless the reader has scrolled up to read something else.
  useLayoutEffect(() => {
    if (shown && followRef.current) scrollToBottom();
  }, [shown?.text, shown?.progress, shown?.phase, shown]);

  useEffect(() => {
    if (!busy) inputRef.current?.focus();
  }, [busy]);

  const send = useCallback(async () => {
    const prompt = draft;
    if (!prompt.trim() || busy) return;
    setFormError(null);
    let started = false;
    // Show the turn at once: the box is busy from the first keypress, so nothing can be sent twice.
    followRef.current = true;
    setDraft('');
    setLive({ prompt, baseCount: persistedCount, progress: null, mode: null, text: '', phase: 'streaming', result: null, error: null });
    try {
      let id = idRef.current;
      if (!id) {
        const created = await fetch('/api/conversations', { method: 'POST' });
        if (!created.ok) throw new Error(`Could not start a conversation (HTTP ${created.status}).`);
        id = CreatedConversationSchema.parse(await created.json()).id;
        idRef.current = id;
        // The address names the conversation from its first prompt on, so a reload mid-answer finds it.
        window.history.replaceState({}, '', `/c/${id}`);
      }
      const response = await fetch(`/api/conversations/${id}/messages`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ prompt }),
      });
      if (!response.ok || !response.body) {
        const body = ErrorBodySchema.safeParse(await response.json().catch(() => null));
        throw new Error(body.success ? body.data.error.message : `The server answered HTTP ${response.status}.`);
      }
      started = true;
      for await (const { event } of readStreamEvents(response.body)) {
        setLive((turn) => (turn ? applyEvent(turn, event) : turn));
      }
      setLive((turn) =>
        turn && turn.phase !== 'finished' ? failTurn(turn, 'The stream ended early. Reload to see what was stored.') : turn,
      );
    } catch (error) {
      const message = error instanceof Error ? error.message : 'Something went wrong.';
      if (started) {
        setLive((turn) => (turn ? failTurn(turn, message) : turn));
      } else {
        // Nothing was sent: give the prompt back so nothing typed is lost.
        setLive(null);
        setDraft(prompt);
        setFormError(message);
      }
    } finally {
      const id = idRef.current;
      // A chat begun on `/` moves to its own page (through the router, which then owns the address again);
      // otherwise the page is rendered anew with the stored turn. Either way the sidebar comes fresh.
      startTransition(() => (conversationId === null && id ? router.replace(`/c/${id}`) : router.refresh()));
    }
  }, [draft, busy, persistedCount, router, conversationId]);

  const stop = useCallback(async () => {
    const id = idRef.current;
    if (!id) return;
    setLive((turn) => (turn && turn.phase === 'streaming' ? { ...turn, phase: 'stopping' } : turn));
    await fetch(`/api/conversations/${id}/cancel`, { method: 'POST' }).catch(() => undefined);
  }, []);

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void send();
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      void send();
    }
  };

  return (
    <>
      {persistedCount === 0 && !shown ? (
        <div className="py-12 text-center">
          <h1 className="text-2xl font-semibold">What can I do for you?</h1>
          <p className="mt-2 text-muted-foreground">
            Ask a question, ask for a poem, or ask for some code. Every prompt is checked for safety and routed to the
            right mode before the answer streams in.
          </p>
        </div>
      ) : null}
      {shown ? (
        <>
          <UserBubble content={shown.prompt} />
          <div aria-live="polite" aria-busy={shown.phase !== 'finished'} data-testid="live-answer">
            <AssistantBubble
              content={shown.result?.content ?? shown.text}
              type={shown.result?.type ?? 'text'}
              mode={shown.result?.mode ?? shown.mode}
              status={shown.result?.status ?? (shown.error ? 'error' : 'complete')}
              streaming={shown.phase !== 'finished'}
              progress={shown.phase === 'stopping' ? 'Stopping' : shown.progress}
              error={shown.error}
            />
          </div>
        </>
      ) : null}
      <form onSubmit={onSubmit} data-ready={hydrated || undefined} className="sticky bottom-0 mt-auto bg-background/95 pt-2 pb-4 backdrop-blur">
        {formError ? (
          <p role="alert" className="mb-2 text-sm text-red-700 dark:text-red-300">
            {formError}
          </p>
        ) : null}
        <div className="flex items-end gap-2 rounded-2xl border border-border bg-card p-2 shadow-sm focus-within:border-accent">
          <label htmlFor="prompt" className="sr-only">
            Message
          </label>
          <textarea
            id="prompt"
            ref={inputRef}
            value={draft}
            onChange={(event) => setDraft(event.target.value)}
            onKeyDown={onKeyDown}
            disabled={busy}
            rows={1}
            autoFocus
            placeholder={busy ? 'Answering…' : 'Ask a question, request a poem or some code…'}
            aria-describedby="prompt-hint"
            className="field-sizing-content max-h-48 min-h-10 flex-1 resize-none bg-transparent px-2 py-2 outline-none placeholder:text-muted-foreground disabled:opacity-60"
          />
          {busy ? (
            <button
              type="button"
              onClick={stop}
              disabled={live?.phase === 'stopping'}
              className="rounded-xl bg-red-700 px-4 py-2 text-sm font-medium text-white hover:bg-red-800 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-red-700 disabled:opacity-60"
            >
              Stop
            </button>
          ) : (
            <button
              type="submit"
              disabled={!draft.trim()}
              className="rounded-xl bg-primary px-4 py-2 text-sm font-medium text-primary-foreground focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-accent disabled:opacity-40"
            >
              Send
            </button>
          )}
        </div>
        <p id="prompt-hint" className="mt-1 px-2 text-xs text-muted-foreground">
          Enter sends, Shift+Enter starts a new line.
        </p>
      </form>
    </>
  );
}
