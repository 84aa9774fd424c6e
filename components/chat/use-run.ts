import { useRouter } from 'next/navigation';
import { useCallback, useReducer, useRef, useTransition } from 'react';
import { CreatedConversationSchema, ErrorBodySchema } from '@/lib/contract';
import { readStreamEvents } from '@/lib/stream/read-sse';
import { coalesceEvents } from '@/components/chat/coalesce-events';
import { isBusy, liveTurnReducer, visibleTurn, type LiveTurnAction } from '@/components/chat/live-turn';

/** Why a prompt could not be sent: the caller gives the prompt back with this message. */
export type SendRefusal = { message: string };

async function* eventsOf(body: ReadableStream<Uint8Array>) {
  for await (const { event } of readStreamEvents(body)) yield event;
}

async function readEventsInto(body: ReadableStream<Uint8Array>, dispatch: (action: LiveTurnAction) => void) {
  await coalesceEvents(eventsOf(body), (events) => dispatch({ type: 'received', events }));
  dispatch({ type: 'ended' });
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : 'Something went wrong.');

/**
 * A conversation's runs, as the page drives them: `send` starts one (creating the conversation on the first
 * prompt) and follows its stream, `resume` picks up the one already running (after a reload), `stop` asks the
 * server to cancel it. The turn it returns is the one to show.
 */
export function useRun({ conversationId, persistedCount }: { conversationId: string | null; persistedCount: number }) {
  const router = useRouter();
  const [, startTransition] = useTransition();
  const [turn, dispatch] = useReducer(liveTurnReducer, null);
  const idRef = useRef(conversationId);
  const busy = isBusy(turn);

  // A chat begun on `/` moves to its own page (through the router, which then owns the address again); otherwise
  // the page is rendered anew with the stored turn. Either way the sidebar comes fresh.
  const showStored = useCallback(() => {
    const id = idRef.current;
    startTransition(() => (conversationId === null && id ? router.replace(`/c/${id}`) : router.refresh()));
  }, [conversationId, router]);

  const send = useCallback(
    async (prompt: string): Promise<SendRefusal | null> => {
      // The turn shows at once: the page is busy from here on, so nothing can be sent twice.
      dispatch({ type: 'started', prompt, baseCount: persistedCount });
      let started = false;
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
        await readEventsInto(response.body, dispatch);
        return null;
      } catch (error) {
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
    [persistedCount, showStored],
  );

  const resume = useCallback(async () => {
    const id = idRef.current;
    if (!id) return;
    // The running turn's prompt is the last stored message: the live copy shows only the answer.
    dispatch({ type: 'resumed', baseCount: persistedCount - 1 });
    try {
      const response = await fetch(`/api/conversations/${id}/stream`);
      if (response.status === 204) {
        // It ended in the meantime: the stored answer is one render away.
        dispatch({ type: 'withdrawn' });
        return;
      }
      if (!response.ok || !response.body) throw new Error(`Could not follow the answer (HTTP ${response.status}).`);
      await readEventsInto(response.body, dispatch);
    } catch (error) {
      dispatch({ type: 'failed', message: messageOf(error) });
    } finally {
      showStored();
    }
  }, [persistedCount, showStored]);

  const stop = useCallback(async () => {
    const id = idRef.current;
    if (!id) return;
    dispatch({ type: 'stopping' });
    await fetch(`/api/conversations/${id}/cancel`, { method: 'POST' }).catch(() => undefined);
  }, []);

  return { turn: visibleTurn(turn, persistedCount), busy, stopping: turn?.phase === 'stopping', send, resume, stop };
}
