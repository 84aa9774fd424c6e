'use client';

import { useSyncExternalStore } from 'react';

/**
 * Titles a model wrote while the page streamed a conversation's first answer: the sidebar shows them at once,
 * before the next server render brings them stored.
 */
const titles = new Map<string, string>();
const listeners = new Set<() => void>();

function subscribe(listener: () => void) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function changed() {
  for (const listener of listeners) listener();
}

export function showLiveTitle(conversationId: string, title: string) {
  if (titles.get(conversationId) === title) return;
  titles.set(conversationId, title);
  changed();
}

/** A rename is newer than any title that streamed in. */
export function forgetLiveTitle(conversationId: string) {
  if (titles.delete(conversationId)) changed();
}

export function useLiveTitle(conversationId: string): string | null {
  return useSyncExternalStore(
    subscribe,
    () => titles.get(conversationId) ?? null,
    () => null,
  );
}
