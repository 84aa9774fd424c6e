import type { StreamEvent } from '@/lib/contract';

export type LoggedEvent = { id: number; event: StreamEvent };

export type LogListener = { onEvent(entry: LoggedEvent): void; onClose(): void };

/**
 * A run's events, numbered 1, 2, 3... Readers replay from any id and then follow live, so a response is just
 * a subscriber and a late or returning reader misses nothing. Kept behind this interface so that a shared
 * backing (Redis Streams) can replace memory without touching routes or the machine.
 */
export interface RunEventLog {
  /** Numbered as readers will see it; a shared log may join deltas written together into one event. */
  append(event: StreamEvent): void;
  /** Replays every event after `afterId`, then delivers new ones until the log closes. Returns an unsubscribe. */
  follow(afterId: number, listener: LogListener): () => void;
  close(): void;
  readonly closed: boolean;
  readonly lastId: number;
}

/** What a reader needs of a run's log, wherever the run is produced. */
export type RunEventSource = Pick<RunEventLog, 'follow'>;

export function createMemoryEventLog(): RunEventLog {
  const entries: LoggedEvent[] = [];
  const listeners = new Set<LogListener>();
  let closed = false;

  return {
    append(event) {
      if (closed) throw new Error('append to a closed event log');
      const entry = { id: entries.length + 1, event };
      entries.push(entry);
      for (const listener of listeners) listener.onEvent(entry);
    },
    follow(afterId, listener) {
      for (const entry of entries.slice(Math.max(0, afterId))) listener.onEvent(entry);
      if (closed) {
        listener.onClose();
        return () => {};
      }
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close() {
      if (closed) return;
      closed = true;
      for (const listener of listeners) listener.onClose();
      listeners.clear();
    },
    get closed() {
      return closed;
    },
    get lastId() {
      return entries.length;
    },
  };
}
