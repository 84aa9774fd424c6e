'use client';

import { useState } from 'react';
import { errorMessageOf } from '@/lib/chat/error-message';
import { ShareSchema } from '@/lib/contract';

const buttonClass = 'text-muted-foreground underline-offset-2 hover:text-foreground hover:underline focus-visible:outline-2 focus-visible:outline-accent disabled:opacity-60';

/** Share (the link made and copied), then Copy link and Stop sharing; the link shows while the chat is shared. */
export function ShareControls({ conversationId, sharedUrl }: { conversationId: string; sharedUrl: string | null }) {
  const [url, setUrl] = useState(sharedUrl);
  const [pending, setPending] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const endpoint = `/api/conversations/${conversationId}/share`;

  const copy = async (link: string) => {
    try {
      await navigator.clipboard.writeText(link);
      setNotice('Link copied');
    } catch {
      // No clipboard (an insecure origin, a refused permission): the link below is there to copy by hand.
      setNotice('Copy the link below');
    }
  };

  const share = async () => {
    setPending(true);
    const response = await fetch(endpoint, { method: 'POST' }).catch(() => null);
    setPending(false);
    if (!response?.ok) return setNotice(await errorMessageOf(response, 'Could not share the chat.'));
    const { url: link } = ShareSchema.parse(await response.json());
    setUrl(link);
    await copy(link);
  };

  const stop = async () => {
    setPending(true);
    const response = await fetch(endpoint, { method: 'DELETE' }).catch(() => null);
    setPending(false);
    if (response?.status !== 204) return setNotice(await errorMessageOf(response, 'Could not stop sharing the chat.'));
    setUrl(null);
    setNotice('No longer shared: the link is dead');
  };

  return (
    <>
      {url ? (
        <>
          <button type="button" onClick={() => void copy(url)} className={buttonClass}>
            Copy link
          </button>
          <button type="button" onClick={() => void stop()} disabled={pending} className={buttonClass}>
            Stop sharing
          </button>
        </>
      ) : (
        <button type="button" onClick={() => void share()} disabled={pending} className={buttonClass} title="Anyone with the link can read this chat">
          Share
        </button>
      )}
      {url || notice ? (
        <div className="order-last flex basis-full flex-wrap items-center justify-end gap-2 text-xs text-muted-foreground">
          {url ? (
            <>
              <label htmlFor={`share-${conversationId}`}>Anyone with the link can read this chat:</label>
              <input
                id={`share-${conversationId}`}
                readOnly
                value={url}
                onFocus={(event) => event.currentTarget.select()}
                className="w-72 max-w-full rounded-md border border-border bg-background px-2 py-1 text-xs text-foreground"
              />
            </>
          ) : null}
          {notice ? <span role="status">{notice}</span> : null}
        </div>
      ) : null}
    </>
  );
}
