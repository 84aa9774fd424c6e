'use client';

import { useEffect, useRef, useState, useSyncExternalStore, type ClipboardEvent, type DragEvent, type FormEvent, type KeyboardEvent } from 'react';
import { PendingFiles } from '@/components/chat/PendingFiles';
import type { useAttachments } from '@/components/chat/use-attachments';

/** What the file picker offers: the images a model sees and the text files it reads (the server decides, from the bytes). */
const ACCEPTED_FILES = 'image/png,image/jpeg,image/webp,image/gif,text/*,.md,.csv,.tsv,.json,.txt,.log,.js,.ts,.tsx,.jsx,.py,.rb,.go,.rs,.java,.kt,.swift,.c,.h,.cpp,.cs,.php,.sh,.sql,.yaml,.yml,.toml,.xml,.css';

const subscribeToNothing = () => () => {};

type PromptFormProps = {
  draft: string;
  onDraftChange: (draft: string) => void;
  onSend: () => void;
  onStop: () => void;
  busy: boolean;
  stopping: boolean;
  error: string | null;
  /** The files the next prompt takes. */
  files: ReturnType<typeof useAttachments>;
};

/** The prompt box: Enter sends, Shift+Enter starts a new line; while a turn runs it offers Stop instead. */
export function PromptForm({ draft, onDraftChange, onSend, onStop, busy, stopping, error, files }: PromptFormProps) {
  const inputRef = useRef<HTMLTextAreaElement>(null);
  const pickerRef = useRef<HTMLInputElement>(null);
  const [dragging, setDragging] = useState(false);
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
      if (!files.uploading) onSend();
    }
  };

  // A pasted image is attached; pasted text goes into the box as usual.
  const onPaste = (event: ClipboardEvent<HTMLTextAreaElement>) => {
    const pasted = Array.from(event.clipboardData.files);
    if (pasted.length === 0) return;
    event.preventDefault();
    files.add(pasted);
  };

  const onDragOver = (event: DragEvent) => {
    if (!event.dataTransfer.types.includes('Files')) return;
    event.preventDefault();
    setDragging(true);
  };
  const onDrop = (event: DragEvent) => {
    setDragging(false);
    if (event.dataTransfer.files.length === 0) return;
    event.preventDefault();
    files.add(Array.from(event.dataTransfer.files));
  };

  return (
    <form onSubmit={onSubmit} data-ready={hydrated || undefined} className="sticky bottom-0 mt-auto bg-background/95 pt-2 pb-4 backdrop-blur">
      {error ? (
        <p role="alert" className="mb-2 text-sm text-red-700 dark:text-red-300">
          {error}
        </p>
      ) : null}
      <PendingFiles files={files.files} refused={files.refused} onRemove={files.remove} onDismiss={files.dismissRefused} />
      <div
        onDragOver={onDragOver}
        onDragLeave={() => setDragging(false)}
        onDrop={onDrop}
        data-testid="prompt-box"
        className={`flex items-end gap-2 rounded-2xl border bg-card p-2 shadow-sm focus-within:border-accent ${dragging ? 'border-accent ring-2 ring-accent/40' : 'border-border'}`}
      >
        <input
          ref={pickerRef}
          type="file"
          multiple
          accept={ACCEPTED_FILES}
          className="hidden"
          data-testid="file-picker"
          onChange={(event) => {
            files.add(Array.from(event.target.files ?? []));
            event.target.value = '';
          }}
        />
        <button
          type="button"
          onClick={() => pickerRef.current?.click()}
          aria-label="Attach files"
          title="Attach images or text files (or drop them here, or paste an image)"
          className="flex size-10 shrink-0 items-center justify-center rounded-xl text-muted-foreground hover:bg-muted hover:text-foreground focus-visible:outline-2 focus-visible:outline-accent"
        >
          <svg aria-hidden width="18" height="18" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round">
            <path d="m21.4 11.1-9.2 9.2a6 6 0 0 1-8.5-8.5l9.2-9.2a4 4 0 0 1 5.7 5.7l-9.2 9.2a2 2 0 0 1-2.8-2.8l8.5-8.5" />
          </svg>
        </button>
        <label htmlFor="prompt" className="sr-only">
          Message
        </label>
        <textarea
          id="prompt"
          ref={inputRef}
          value={draft}
          onChange={(event) => onDraftChange(event.target.value)}
          onKeyDown={onKeyDown}
          onPaste={onPaste}
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
            disabled={!draft.trim() || files.uploading}
            className="rounded-xl bg-primary px-4 py-2 text-sm font-medium text-primary-foreground focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-accent disabled:opacity-40"
          >
            Send
          </button>
        )}
      </div>
      <p id="prompt-hint" className="mt-1 px-2 text-xs text-muted-foreground">
        Enter sends, Shift+Enter starts a new line. Attach images or text files with the clip, by dropping or pasting them.
      </p>
    </form>
  );
}
