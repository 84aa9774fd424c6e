import { useRouter } from 'next/navigation';
import { useCallback, useEffect, useReducer, useRef, useTransition } from 'react';
import { errorMessageOf } from '@/lib/chat/error-message';
import { CreatedConversationSchema, type Attachment } from '@/lib/contract';
import { readStreamEvents } from '@/lib/stream/read-sse';
import { coalesceEvents } from '@/lib/chat/coalesce-events';
import { isBusy, liveTurnReducer, visibleTurn, type LiveTurnAction } from '@/lib/chat/live-turn';
import { peekHandOff, recordHandOff, takeHandOff } from '@/lib/chat/turn-hand-off';
import { showLiveTitle } from '@/components/sidebar/live-titles';

/** Why a prompt could not be sent: the caller gives the prompt back with this message. */
export type SendRefusal = { message: string };

/** Hands a stream's events to the page in batches; `onBatch` also learns the last event id of each. */
async function readEventsInto(
  body: ReadableStream<Uint8Array>,
  dispatch: (action: LiveTurnAction) => void,
  left: AbortSignal,
  onBatch: (action: LiveTurnAction, lastEventId: number) => void = () => {},
) {
  await coalesceEvents(readStreamEvents(body), (batch) => {
    const action: LiveTurnAction = { type: 'received', events: batch.map(({ event }) => event) };
    dispatch(action);
    onBatch(action, batch.at(-1)?.id ?? 0);
  });
  if (!left.aborted) dispatch({ type: 'ended' });
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : 'Something went wrong.');

/**
 * A conversation's runs, as the page drives them: `send` starts one (creating the conversation on the first
 * prompt) and follows its stream, `resume` picks up the one already running (after a reload), `stop` asks the
 * server to cancel it. The turn it returns is the one to show.
 *
 * A first prompt sent from `/` moves to the conversation's own page as soon as its run has begun, and that page
 * follows the run from there (handed the turn as `/` last saw it): at the end of the answer the stored copy then
 * takes the live one's place on the same page, where a move from `/` would render the whole answer anew and throw
 * the reader back to its bottom.
 */
export function useRun({ conversationId, persistedCount, running }: { conversationId: string | null; persistedCount: number; running: boolean }) {
  const router = useRouter();
  const [, startTransition] = useTransition();
  // A run `/` began and this page takes over shows from the first paint as `/` showed it.
  const [turn, dispatch] = useReducer(liveTurnReducer, null, () => (running ? (peekHandOff(conversationId)?.turn ?? null) : null));
  const idRef = useRef(conversationId);
  const busy = isBusy(turn);
  useEffect(() => {
    // A hand-over this page did not need (the run ended before it rendered) is not for a later run to take.
    if (!running) takeHandOff(conversationId);
  }, [running, conversationId]);
  // Aborted when the page goes away: its streams are closed and their ends no longer refresh anything.
  const left = useRef(new AbortController());
  useEffect(() => {
    const page = left.current;
    return () => page.abort();
  }, []);

  // A chat begun on `/` moves to its own page (through the router, which then owns the address again); otherwise
  // the page is rendered anew with the stored turn. Either way the sidebar comes fresh.
  const showStored = useCallback(() => {
    if (left.current.signal.aborted) return;
    const id = idRef.current;
    startTransition(() => (conversationId === null && id ? router.replace(`/c/${id}`) : router.refresh()));
  }, [conversationId, router]);

  // The conversation this page talks to, made on first need (a first prompt, or a first file attached on `/`).
  const creating = useRef<Promise<string> | null>(null);
  const ensureConversation = useCallback(async (): Promise<string> => {
    if (idRef.current) return idRef.current;
    creating.current ??= (async () => {
      const created = await fetch('/api/conversations', { method: 'POST' });
      if (!created.ok) throw new Error(`Could not start a conversation (HTTP ${created.status}).`);
      const id = CreatedConversationSchema.parse(await created.json()).id;
      idRef.current = id;
      return id;
    })().finally(() => (creating.current = null));
    return creating.current;
  }, []);

  const send = useCallback(
    async (prompt: string, attachments: Attachment[] = []): Promise<SendRefusal | null> => {
      // The turn shows at once: the page is busy from here on, so nothing can be sent twice.
      const start: LiveTurnAction = { type: 'started', prompt, baseCount: persistedCount, attachments };
      dispatch(start);
      let handed = liveTurnReducer(null, start);
      let started = false;
      try {
        const id = await ensureConversation();
        // The address names the conversation from its first prompt on, so a reload mid-answer finds it.
        if (conversationId === null) window.history.replaceState({}, '', `/c/${id}`);
        const files = attachments.length > 0 ? { attachments: attachments.map((file) => file.id) } : {};
        const response = await fetch(`/api/conversations/${id}/messages`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ prompt, ...files }),
          signal: left.current.signal,
        });
        if (!response.ok || !response.body) {
          throw new Error(await errorMessageOf(response, `The server answered HTTP ${response.status}.`));
        }
        started = true;
        const conversation = id;
        // From `/`: the conversation's page takes over and follows the run, handed the turn as this page last saw
        // it; this one reads on until it is gone.
        const handOn =
          conversationId === null
            ? (action: LiveTurnAction, lastEventId: number) => {
                if (!handed) return;
                handed = liveTurnReducer(handed, action);
                if (handed) recordHandOff({ conversationId: conversation, turn: handed, lastEventId });
              }
            : undefined;
        if (conversationId === null) showStored();
        await readEventsInto(response.body, dispatch, left.current.signal, handOn);
        return null;
      } catch (error) {
        if (left.current.signal.aborted) return null;
        if (started) {
          dispatch({ type: 'failed', message: messageOf(error) });
          return null;
        }
        dispatch({ type: 'withdrawn' });
        return { message: messageOf(error) };
      } finally {
        showStored();
      }
    },
    [conversationId, persistedCount, showStored, ensureConversation],
  );

  const resume = useCallback(async () => {
    const id = idRef.current;
    if (!id) return;
    // Handed over from `/`: the turn as it was last seen there, followed on after its last event. Otherwise the
    // running turn's prompt is the last stored message, and the live copy replays the answer from the start.
    const carried = takeHandOff(id);
    dispatch(carried ? { type: 'restored', turn: carried.turn } : { type: 'resumed', baseCount: persistedCount - 1 });
    try {
      const response = await fetch(`/api/conversations/${id}/stream`, {
        signal: left.current.signal,
        ...(carried ? { headers: { 'Last-Event-ID': String(carried.lastEventId) } } : {}),
      });
      if (response.status === 204) {
        // It ended in the meantime: the stored answer is one render away (a finished turn stays until then).
        if (carried?.turn.phase !== 'finished') dispatch({ type: 'withdrawn' });
        return;
      }
      if (!response.ok || !response.body) throw new Error(`Could not follow the answer (HTTP ${response.status}).`);
      await readEventsInto(response.body, dispatch, left.current.signal);
    } catch (error) {
      if (!left.current.signal.aborted) dispatch({ type: 'failed', message: messageOf(error) });
    } finally {
      showStored();
    }
  }, [persistedCount, showStored]);

  // A title the model wrote for this new conversation shows at once, in the sidebar and the window's title.
  const title = turn?.title ?? null;
  useEffect(() => {
    const id = idRef.current;
    if (!title || !id) return;
    showLiveTitle(id, title);
    const windowTitle = `${title} · Sluice`;
    document.title = windowTitle;
    if (!busy) return;
    // A chat handed over from `/` gets its page's metadata (the first prompt) after this, at a time of the router's
    // choosing: while the answer streams, the written title stays. Once it is stored, the page renders it itself.
    const keep = new MutationObserver(() => {
      if (document.title !== windowTitle) document.title = windowTitle;
    });
    keep.observe(document.head, { subtree: true, childList: true, characterData: true });
    return () => keep.disconnect();
  }, [title, busy]);

  const stop = useCallback(async () => {
    const id = idRef.current;
    if (!id) return;
    dispatch({ type: 'stopping' });
    await fetch(`/api/conversations/${id}/cancel`, { method: 'POST' }).catch(() => undefined);
  }, []);

  return { turn: visibleTurn(turn, persistedCount), busy, stopping: turn?.phase === 'stopping', send, resume, stop, ensureConversation };
}
