'use client';

import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { errorMessageOf } from '@/lib/chat/error-message';
import { CreatedConversationSchema } from '@/lib/contract';

/** Copies the shared conversation into the visitor's own chats and opens the copy. */
export function ContinueChatButton({ token }: { token: string }) {
  const router = useRouter();
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const onClick = async () => {
    setPending(true);
    setError(null);
    const response = await fetch(`/api/shared/${token}/continue`, { method: 'POST' }).catch(() => null);
    if (response?.status === 201) {
      router.push(`/c/${CreatedConversationSchema.parse(await response.json()).id}`);
      return;
    }
    setError(await errorMessageOf(response, 'Could not copy the conversation. Try again.'));
    setPending(false);
  };

  return (
    <div className="flex flex-col items-center gap-2">
      <button
        type="button"
        onClick={() => void onClick()}
        disabled={pending}
        className="rounded-lg bg-primary px-4 py-2 text-sm font-medium text-primary-foreground hover:opacity-90 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-accent disabled:opacity-60"
      >
        {pending ? 'Copying…' : 'Continue this chat'}
      </button>
      <p className="text-xs text-muted-foreground">A copy of it becomes one of your own chats; the original stays as it is.</p>
      {error ? (
        <p role="alert" className="text-sm text-red-700 dark:text-red-400">
          {error}
        </p>
      ) : null}
    </div>
  );
}
