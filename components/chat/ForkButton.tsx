'use client';

import type { ForkBody } from '@/lib/contract';
import { useFork } from '@/components/chat/use-fork';

/** A button that forks the conversation from a step of a run and opens the fork (where its run, if any, goes on). */
export function ForkButton({ conversationId, fork, label, title }: { conversationId: string; fork: ForkBody; label: string; title: string }) {
  const { fork: forkNow, pending, error } = useFork(conversationId);
  return (
    <span className="inline-flex items-center gap-2">
      <button
        type="button"
        title={title}
        disabled={pending}
        onClick={() => void forkNow(fork)}
        className="rounded px-2 py-0.5 text-xs text-muted-foreground hover:bg-muted hover:text-foreground focus-visible:outline-2 focus-visible:outline-accent disabled:opacity-50"
      >
        {pending ? 'Forking…' : label}
      </button>
      {error ? (
        <span role="alert" className="text-xs text-red-700 dark:text-red-300">
          {error}
        </span>
      ) : null}
    </span>
  );
}
