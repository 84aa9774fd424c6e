import type { StreamEvent } from '@/lib/contract';
import type { Models } from '@/lib/llm';
import { createDemoModel } from '@/lib/llm/demo-model';
import { checkWithRules } from '@/lib/llm/safety';
import type { LoggedEvent } from '@/lib/stream/event-log';

/** The demo model at full speed with the rules check, with any of the chat model's calls replaced. */
export const demoModels = (overrides: Partial<Models['chat']> = {}): Models => ({
  chat: { ...createDemoModel(1), ...overrides },
  safety: { kind: 'rules', check: async (prompt) => checkWithRules(prompt) },
  fixedTextDelayMs: 1,
});

/** Every event of a run, with a hook called as each one is appended. */
export function follow(run: { log: { follow: (after: number, l: { onEvent(e: LoggedEvent): void; onClose(): void }) => void } }, onEvent: (event: StreamEvent) => void = () => {}) {
  const events: StreamEvent[] = [];
  const closed = new Promise<StreamEvent[]>((resolve) => {
    run.log.follow(0, {
      onEvent({ event }) {
        events.push(event);
        onEvent(event);
      },
      onClose: () => resolve(events),
    });
  });
  return { events, closed };
}
