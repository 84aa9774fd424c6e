'use client';

import { useEffect, useState } from 'react';
import { activeStates } from '@/lib/inspector/machine-graph';
import { StreamEventSchema, type ReportedStep, type StepStatus } from '@/lib/contract';
import type { MachineLayout } from '@/lib/inspector/machine-layout';
import { MachineDiagram } from '@/components/inspector/MachineDiagram';

type Steps = Partial<Record<ReportedStep, StepStatus>>;

/** How long to wait before looking for the conversation's next run once one has ended. */
const NEXT_RUN_POLL_MS = 1500;

/**
 * Follows the conversation's runs through the resume endpoint and keeps the steps of the one under way: null
 * while nothing runs.
 */
function useRunningSteps(conversationId: string | null): Steps | null {
  const [steps, setSteps] = useState<Steps | null>(null);
  useEffect(() => {
    if (!conversationId) return;
    let source: EventSource | null = null;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    const open = () => {
      if (stopped) return;
      source = new EventSource(`/api/conversations/${conversationId}/stream`);
      source.onmessage = (message) => {
        const parsed = StreamEventSchema.safeParse(JSON.parse(message.data as string));
        if (!parsed.success) return;
        const event = parsed.data;
        if (event.type === 'chat_history') setSteps({});
        else if (event.type === 'step') setSteps((current) => ({ ...current, [event.value.name]: event.value.status }));
        else if (event.type === 'done' || event.type === 'error') setSteps(null);
      };
      source.onerror = () => {
        // Closed for good (a 204: nothing runs, or the run is over): look again in a moment.
        if (source?.readyState !== EventSource.CLOSED) return;
        setSteps(null);
        retry = setTimeout(open, NEXT_RUN_POLL_MS);
      };
    };
    open();
    return () => {
      stopped = true;
      clearTimeout(retry);
      source?.close();
    };
  }, [conversationId]);
  return steps;
}

export function LiveMachine({ layout, conversationId }: { layout: MachineLayout; conversationId: string | null }) {
  const steps = useRunningSteps(conversationId);
  const active = activeStates(layout, steps);
  return (
    <div className="flex flex-col gap-3">
      <p role="status" className="text-sm text-muted-foreground">
        {conversationId === null
          ? 'Open the inspector from a conversation to see its runs move through the machine.'
          : steps === null
            ? 'Nothing is running in this conversation: the machine rests in prompt.'
            : `Running: ${[...active].map((id) => id.split('.').at(-1)).join(', ')}`}
      </p>
      <MachineDiagram layout={layout} active={active} title="The agent state machine" />
    </div>
  );
}
