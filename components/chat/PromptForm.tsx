'use client';

import { useEffect, useRef, useSyncExternalStore, type FormEvent, type KeyboardEvent } from 'react';

const subscribeToNothing = () => () => {};

type PromptFormProps = {
  draft: string;
  onDraftChange: (draft: string) => void;
  onSend: () => void;
  onStop: () => void;
  busy: boolean;
  stopping: boolean;
  error: string | null;
};

/** The prompt box: Enter sends, Shift+Enter starts a new line; while a turn runs it offers Stop instead. */
export function PromptForm({ draft, onDraftChange, onSend, onStop, busy, stopping, error }: PromptFormProps) {
  const inputRef = useRef<HTMLTextAreaElement>(null);
  // False in the server HTML and during hydration, true once React handles events here (tests wait for it).
  const hydrated = useSyncExternalStore(subscribeToNothing, () => true, () => false);

  useEffect(() => {
    // The box is always on screen (sticky): focusing it must not scroll the page, which may be following an answer.
    if (!busy) inputRef.current?.focus({ preventScroll: true });
  }, [busy]);

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    onSend();
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      onSend();
    }
  };

  return (
    <form onSubmit={onSubmit} data-ready={hydrated || undefined} className="sticky bottom-0 mt-auto bg-background/95 pt-2 pb-4 backdrop-blur">
      {error ? (
        <p role="alert" className="mb-2 text-sm text-red-700 dark:text-red-300">
          {error}
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
          onChange={(event) => onDraftChange(event.target.value)}
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
            onClick={onStop}
            disabled={stopping}
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
  );
}
