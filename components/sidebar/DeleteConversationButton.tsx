'use client';

import { usePathname, useRouter } from 'next/navigation';
import { useEffect, useState } from 'react';
import { TrashIcon } from '@/components/sidebar/icons';

/** Two presses: the first arms the button for a few seconds, the second deletes. */
export function DeleteConversationButton({ id, title }: { id: string; title: string }) {
  const router = useRouter();
  const pathname = usePathname();
  const [armed, setArmed] = useState(false);
  const [pending, setPending] = useState(false);

  useEffect(() => {
    if (!armed) return;
    const timer = setTimeout(() => setArmed(false), 4000);
    return () => clearTimeout(timer);
  }, [armed]);

  const onClick = async () => {
    if (!armed) return setArmed(true);
    setPending(true);
    const response = await fetch(`/api/conversations/${id}`, { method: 'DELETE' }).catch(() => null);
    setPending(false);
    setArmed(false);
    if (!response || (!response.ok && response.status !== 404)) return;
    // Either action renders the sidebar afresh: it is part of every page.
    if (pathname === `/c/${id}`) router.push('/');
    else router.refresh();
  };

  return (
    <button
      type="button"
      onClick={onClick}
      disabled={pending}
      aria-label={armed ? `Confirm deleting “${title}”` : `Delete “${title}”`}
      title={armed ? undefined : 'Delete'}
      className={`shrink-0 rounded-md px-2 py-1.5 text-xs focus-visible:outline-2 focus-visible:outline-accent ${
        armed
          ? 'bg-red-700 text-white'
          : 'text-muted-foreground hover:bg-muted hover:text-foreground'
      }`}
    >
      {armed ? 'Confirm' : <TrashIcon />}
    </button>
  );
}
