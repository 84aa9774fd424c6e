'use client';

import { useState } from 'react';
import type { Attachment } from '@/lib/contract';
import { OWNER_FILES } from '@/components/chat/MessageBubble';
import { MessageFiles } from '@/components/chat/MessageFiles';
import { useFork } from '@/components/chat/use-fork';

/**
 * A stored prompt with an Edit button. Saving an edit forks the conversation at that prompt: the edited flow runs
 * in a new conversation linked to this one, and nothing here is overwritten.
 */
type EditablePromptProps = { conversationId: string; runId: string; content: string; attachments?: Attachment[] | undefined };

export function EditablePrompt({ conversationId, runId, content, attachments }: EditablePromptProps) {
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState(content);
  const { fork, pending, error } = useFork(conversationId);

  if (!editing) {
    return (
      <div className="flex flex-col items-end gap-2">
        {attachments?.length ? <MessageFiles files={attachments} fileBase={OWNER_FILES} /> : null}
        <div className="group flex w-full items-start justify-end gap-1">
        <button
          type="button"
          onClick={() => setEditing(true)}
          title="Edit this prompt: the edited version runs in a new conversation"
          className="mt-2 rounded px-2 py-0.5 text-xs text-muted-foreground opacity-100 hover:bg-muted hover:text-foreground focus-visible:opacity-100 focus-visible:outline-2 focus-visible:outline-accent md:opacity-0 md:group-hover:opacity-100"
        >
          Edit
        </button>
        <div className="max-w-[85%] rounded-2xl bg-muted px-4 py-2 whitespace-pre-wrap break-words" data-role="user">
          {content}
        </div>
        </div>
      </div>
    );
  }

  return (
    <form
      className="flex flex-col items-end gap-2"
      aria-label="Edit prompt"
      onSubmit={(event) => {
        event.preventDefault();
        if (draft.trim()) void fork({ runId, step: 'prompt', prompt: draft });
      }}
    >
      <textarea
        aria-label="Edited prompt"
        value={draft}
        autoFocus
        onChange={(event) => setDraft(event.target.value)}
        rows={Math.min(8, Math.max(2, draft.split('\n').length))}
        className="w-full max-w-[85%] rounded-2xl border border-border bg-background px-4 py-2 focus-visible:outline-2 focus-visible:outline-accent"
      />
      <div className="flex items-center gap-2 text-sm">
        {error ? (
          <span role="alert" className="text-red-700 dark:text-red-300">
            {error}
          </span>
        ) : null}
        <button type="button" onClick={() => setEditing(false)} className="rounded px-3 py-1 hover:bg-muted">
          Cancel
        </button>
        <button type="submit" disabled={pending || !draft.trim()} className="rounded bg-primary px-3 py-1 text-primary-foreground disabled:opacity-50">
          {pending ? 'Sending…' : 'Send as a new branch'}
        </button>
      </div>
    </form>
  );
}
