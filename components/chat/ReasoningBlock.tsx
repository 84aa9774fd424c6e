'use client';

import { useEffect, useRef, useState } from 'react';

/** "Thought for 3 s": at least a second, as a person would say it. */
export function thoughtLabel(ms: number | null): string {
  if (ms === null) return 'Thought';
  return `Thought for ${Math.max(1, Math.round(ms / 1000))} s`;
}

type ReasoningBlockProps = {
  reasoning: string;
  /** The model is still reasoning: no answer text yet, and the run goes on. */
  thinking: boolean;
  /** How long it thought, as the server measured it (a stored answer). */
  ms?: number | undefined;
};

/**
 * The model's reasoning above its answer: open while it streams, folded to "Thought for N s" once the answer
 * starts, and open to read again with a click. Until the stored answer says how long the model thought, the time
 * is measured here from when the thinking was first seen; a block that never saw it (a run picked up after the
 * thinking) says "Thought" alone until the stored answer brings the server's measure.
 */
export function ReasoningBlock({ reasoning, thinking, ms }: ReasoningBlockProps) {
  const [open, setOpen] = useState(thinking);
  const startedAt = useRef<number | null>(null);
  const [measured, setMeasured] = useState<number | null>(null);

  useEffect(() => {
    if (thinking) startedAt.current ??= performance.now();
    else if (startedAt.current !== null) {
      setOpen(false);
      setMeasured(performance.now() - startedAt.current);
      startedAt.current = null;
    }
  }, [thinking]);

  return (
    <details
      open={open}
      onToggle={(event) => setOpen(event.currentTarget.open)}
      className="group/reasoning mb-1 text-sm"
      data-testid="reasoning"
      data-thinking={thinking ? 'true' : undefined}
    >
      <summary className="flex w-fit cursor-pointer list-none items-center gap-1.5 rounded py-0.5 text-muted-foreground select-none hover:text-foreground focus-visible:outline-2 focus-visible:outline-accent [&::-webkit-details-marker]:hidden">
        <svg aria-hidden viewBox="0 0 16 16" className="size-3 transition-transform group-open/reasoning:rotate-90" fill="currentColor">
          <path d="M6 3.5 10.5 8 6 12.5z" />
        </svg>
        {thinking ? (
          <span className="flex items-center gap-1.5">
            Thinking
            <span className="size-1.5 animate-pulse rounded-full bg-accent" aria-hidden />
          </span>
        ) : (
          thoughtLabel(ms ?? measured)
        )}
      </summary>
      <div className="mt-1 border-l-2 border-border pl-3 whitespace-pre-wrap break-words text-muted-foreground" data-testid="reasoning-text">
        {reasoning.trim()}
      </div>
    </details>
  );
}
