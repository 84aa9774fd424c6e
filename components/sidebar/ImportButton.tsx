'use client';

import { useRouter } from 'next/navigation';
import { useRef, useState, type ChangeEvent } from 'react';
import { errorMessageOf } from '@/lib/chat/error-message';
import { CreatedConversationSchema } from '@/lib/contract';

/** Import: a conversation exported as JSON (from here or another Sluice) becomes a new chat, which opens. */
export function ImportButton() {
  const router = useRouter();
  const input = useRef<HTMLInputElement>(null);
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const onFile = async (event: ChangeEvent<HTMLInputElement>) => {
    const file = event.target.files?.[0];
    event.target.value = '';
    if (!file) return;
    setPending(true);
    setError(null);
    const response = await fetch('/api/conversations/import', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: file,
    }).catch(() => null);
    setPending(false);
    if (response?.status === 201) {
      router.push(`/c/${CreatedConversationSchema.parse(await response.json()).id}`);
      return;
    }
    setError(`${file.name}: ${await errorMessageOf(response, 'could not be imported.')}`);
  };

  return (
    <>
      <input ref={input} type="file" accept=".json,application/json" onChange={(event) => void onFile(event)} className="sr-only" tabIndex={-1} aria-hidden />
      <button
        type="button"
        onClick={() => input.current?.click()}
        disabled={pending}
        title="Open a conversation exported as JSON"
        className="rounded-lg border border-border px-3 py-2 text-sm font-medium hover:bg-muted focus-visible:outline-2 focus-visible:outline-accent disabled:opacity-60"
      >
        {pending ? 'Importing…' : 'Import'}
      </button>
      {error ? (
        <p role="alert" className="basis-full px-1 text-xs text-red-700 dark:text-red-400">
          {error}
        </p>
      ) : null}
    </>
  );
}
