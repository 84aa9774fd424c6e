'use client';

import { useRouter } from 'next/navigation';
import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import { errorMessageOf } from '@/lib/chat/error-message';
import { DeleteConversationButton } from '@/components/sidebar/DeleteConversationButton';
import { PencilIcon } from '@/components/sidebar/icons';
import { forgetLiveTitle, useLiveTitle } from '@/components/sidebar/live-titles';
import { SidebarLink } from '@/components/sidebar/SidebarLink';

const TITLE_MAX = 120;

/** A conversation in the sidebar: its link, renamed in place (double-click or Rename; Enter saves, Escape cancels), and Delete. */
export function ConversationItem({ id, title: storedTitle }: { id: string; title: string }) {
  const router = useRouter();
  const liveTitle = useLiveTitle(id);
  // Shown from the rename until the server's list brings it (or anything newer).
  const [renamed, setRenamed] = useState<{ from: string; to: string } | null>(null);
  const title = (renamed?.from === storedTitle ? renamed.to : null) ?? liveTitle ?? (storedTitle || 'New conversation');
  useEffect(() => {
    // The server has the title that streamed in: from here on its list is the one to show.
    if (liveTitle !== null && liveTitle === storedTitle) forgetLiveTitle(id);
  }, [id, liveTitle, storedTitle]);
  const [editing, setEditing] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const input = useRef<HTMLInputElement>(null);
  // Escape ends editing through a blur too: that blur must not save.
  const cancelled = useRef(false);

  const startEditing = () => {
    cancelled.current = false;
    setError(null);
    setEditing(true);
  };

  const save = async () => {
    const next = input.current?.value.trim() ?? '';
    if (cancelled.current || next === '' || next === title) return setEditing(false);
    const response = await fetch(`/api/conversations/${id}`, {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ title: next }),
    }).catch(() => null);
    if (!response?.ok) {
      setError(await errorMessageOf(response, 'Could not rename the conversation.'));
      input.current?.focus();
      return;
    }
    forgetLiveTitle(id);
    setRenamed({ from: storedTitle, to: next });
    setEditing(false);
    // The page's title and other lists of titles (branches) come from the server.
    router.refresh();
  };

  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === 'Enter') {
      event.preventDefault();
      void save();
    } else if (event.key === 'Escape') {
      event.preventDefault();
      cancelled.current = true;
      setEditing(false);
    }
  };

  if (editing) {
    return (
      <div className="flex min-w-0 flex-1 flex-col gap-1">
        <input
          ref={input}
          defaultValue={title}
          maxLength={TITLE_MAX}
          autoFocus
          onFocus={(event) => event.currentTarget.select()}
          onKeyDown={onKeyDown}
          onBlur={() => void save()}
          aria-label={`Rename “${title}”`}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? `rename-error-${id}` : undefined}
          className="w-full min-w-0 rounded-lg border border-accent bg-background px-3 py-1.5 text-sm focus-visible:outline-2 focus-visible:outline-accent"
        />
        {error ? (
          <p id={`rename-error-${id}`} role="alert" className="px-1 text-xs text-red-700 dark:text-red-400">
            {error}
          </p>
        ) : (
          <p className="px-1 text-xs text-muted-foreground">Enter saves, Escape cancels</p>
        )}
      </div>
    );
  }

  return (
    <>
      <SidebarLink href={`/c/${id}`} onDoubleClick={startEditing}>
        {title}
      </SidebarLink>
      {/* On a wide screen the actions lie over the end of the title while the item is hovered or focused, so the
          title keeps the whole width otherwise. */}
      <span className="flex shrink-0 items-center gap-0.5 md:absolute md:top-1/2 md:right-1 md:-translate-y-1/2 md:rounded-md md:bg-card md:opacity-0 md:shadow-sm md:group-focus-within:opacity-100 md:group-hover:opacity-100">
        <button
          type="button"
          onClick={startEditing}
          aria-label={`Rename “${title}”`}
          title="Rename"
          className="rounded-md px-2 py-1.5 text-xs text-muted-foreground hover:bg-muted hover:text-foreground focus-visible:outline-2 focus-visible:outline-accent"
        >
          <PencilIcon />
        </button>
        <DeleteConversationButton id={id} title={title} />
      </span>
    </>
  );
}
