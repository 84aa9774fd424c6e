'use client';

import Link from 'next/link';
import { useEffect, useId, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import { SearchResultsSchema, type SearchHit, type Snippet } from '@/lib/contract';

/** Typing waits this long for the next key before it searches. */
const DEBOUNCE_MS = 200;

type Search = { q: string; hits: SearchHit[] | null; error: string | null };

/** The snippet's text with its matches marked. */
function SnippetText({ snippet }: { snippet: Snippet }) {
  const parts: ReactNode[] = [];
  let at = 0;
  for (const [start, end] of snippet.highlights) {
    if (start < at) continue;
    parts.push(snippet.text.slice(at, start));
    parts.push(
      <mark key={start} className="rounded-sm bg-yellow-200 text-inherit dark:bg-yellow-500/40">
        {snippet.text.slice(start, end)}
      </mark>,
    );
    at = end;
  }
  parts.push(snippet.text.slice(at));
  return <>{parts}</>;
}

/**
 * The sidebar's search box over its list (`children`, rendered on the server): typing searches this visitor's
 * conversations and shows the matches with their snippets instead; Escape or clearing the box brings the list back.
 * Arrow keys move between the box and the results (Tab reaches them too).
 */
export function SidebarSearch({ children }: { children: ReactNode }) {
  const [typed, setTyped] = useState('');
  const [search, setSearch] = useState<Search>({ q: '', hits: null, error: null });
  const results = useRef<HTMLUListElement>(null);
  const box = useRef<HTMLInputElement>(null);
  const id = useId();
  const q = typed.trim() === '' ? '' : typed;

  useEffect(() => {
    if (q === '') return;
    const controller = new AbortController();
    const timer = setTimeout(async () => {
      try {
        const response = await fetch(`/api/conversations?q=${encodeURIComponent(q)}`, { signal: controller.signal });
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        setSearch({ q, hits: SearchResultsSchema.parse(await response.json()).conversations, error: null });
      } catch {
        if (!controller.signal.aborted) setSearch({ q, hits: null, error: 'Search failed. Try again.' });
      }
    }, DEBOUNCE_MS);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [q]);

  const links = () => Array.from(results.current?.querySelectorAll<HTMLAnchorElement>('a') ?? []);
  const clear = () => {
    setTyped('');
    setSearch({ q: '', hits: null, error: null });
    box.current?.focus();
  };

  const onBoxKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === 'Escape' && typed !== '') {
      event.preventDefault();
      clear();
    } else if (event.key === 'ArrowDown') {
      const first = links()[0];
      if (first) {
        event.preventDefault();
        first.focus();
      }
    }
  };

  const onResultsKeyDown = (event: KeyboardEvent<HTMLUListElement>) => {
    const all = links();
    const at = all.indexOf(document.activeElement as HTMLAnchorElement);
    if (event.key === 'Escape') {
      event.preventDefault();
      clear();
    } else if (event.key === 'ArrowDown' && at >= 0) {
      event.preventDefault();
      all[Math.min(at + 1, all.length - 1)]?.focus();
    } else if (event.key === 'ArrowUp' && at >= 0) {
      event.preventDefault();
      if (at === 0) box.current?.focus();
      else all[at - 1]?.focus();
    }
  };

  const showing = q !== '';
  const current = search.q === q ? search : null;
  const status = !showing
    ? ''
    : current?.error
      ? current.error
      : current?.hits
        ? current.hits.length === 0
          ? `No conversations match “${q.trim()}”.`
          : `${current.hits.length} ${current.hits.length === 1 ? 'conversation matches' : 'conversations match'}`
        : 'Searching…';

  return (
    <div className="flex min-h-0 flex-1 flex-col gap-2">
      <div role="search" className="relative">
        <label htmlFor={`${id}-box`} className="sr-only">
          Search conversations
        </label>
        <input
          ref={box}
          id={`${id}-box`}
          type="search"
          value={typed}
          onChange={(event) => setTyped(event.target.value)}
          onKeyDown={onBoxKeyDown}
          placeholder="Search"
          autoComplete="off"
          aria-controls={showing ? `${id}-results` : undefined}
          className="w-full rounded-lg border border-border bg-background px-3 py-1.5 text-sm placeholder:text-muted-foreground focus-visible:outline-2 focus-visible:outline-accent"
        />
      </div>
      <p role="status" className={showing ? 'px-3 text-xs text-muted-foreground' : 'sr-only'}>
        {status}
      </p>
      {showing ? (
        <ul
          ref={results}
          id={`${id}-results`}
          aria-label="Search results"
          aria-busy={current === null}
          onKeyDown={onResultsKeyDown}
          className="flex min-h-0 flex-col gap-0.5 overflow-y-auto"
        >
          {(current?.hits ?? []).map((hit) => (
            <li key={hit.id}>
              <Link
                href={`/c/${hit.id}`}
                className="block rounded-lg px-3 py-2 text-sm hover:bg-muted focus-visible:outline-2 focus-visible:outline-accent"
              >
                <span className="block truncate font-medium">{hit.title || 'New conversation'}</span>
                <span className="line-clamp-2 text-xs text-muted-foreground">
                  <SnippetText snippet={hit.snippet} />
                </span>
              </Link>
            </li>
          ))}
        </ul>
      ) : (
        children
      )}
    </div>
  );
}
