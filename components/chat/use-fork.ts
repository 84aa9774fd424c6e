import { useRouter } from 'next/navigation';
import { useState } from 'react';
import type { ForkBody } from '@/lib/contract';
import { requestFork } from '@/components/chat/fork-request';

/** Forks the conversation and opens the fork (where its run, if any, goes on); says why when it cannot. */
export function useFork(conversationId: string) {
  const router = useRouter();
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const fork = async (body: ForkBody) => {
    setPending(true);
    setError(null);
    try {
      router.push(`/c/${await requestFork(conversationId, body)}`);
    } catch (cause) {
      setError(cause instanceof Error ? cause.message : 'The fork failed.');
      setPending(false);
    }
  };
  return { fork, pending, error };
}
