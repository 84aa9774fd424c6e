import type { Metadata } from 'next';
import Link from 'next/link';
import { ChatShell } from '@/components/chat/ChatShell';
import { LiveMachine } from '@/components/inspector/LiveMachine';
import { findVisitorConversation } from '@/lib/services/conversations';
import { getAgentMachineLayout } from '@/lib/inspector/machine-layout';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Inspector' };

type Props = { searchParams: Promise<{ c?: string | string[] }> };

export default async function InspectPage({ searchParams }: Props) {
  const { c } = await searchParams;
  const [layout, conversation] = await Promise.all([
    getAgentMachineLayout(),
    typeof c === 'string' ? findVisitorConversation(c) : Promise.resolve(null),
  ]);
  return (
    <ChatShell>
      <section aria-labelledby="inspector-title" className="flex w-full flex-col gap-4 px-4 py-6">
        <header className="flex flex-wrap items-baseline justify-between gap-2">
          <h1 id="inspector-title" className="text-xl font-semibold">
            The agent machine
          </h1>
          {conversation ? (
            <p className="text-sm">
              Following{' '}
              <Link href={`/c/${conversation.id}`} className="font-medium text-accent underline-offset-2 hover:underline">
                {conversation.title || 'New conversation'}
              </Link>
            </p>
          ) : null}
        </header>
        <p className="text-sm text-muted-foreground">
          Drawn from the XState definition in <code>lib/agent/machine.ts</code>: every state and transition, with the
          guards that choose the response. The safety check and the mode decision run side by side as regions of one
          parallel state; with <code>PRE_STEPS=sequential</code> the mode decision waits for the verdict, and a refused
          prompt skips it.
        </p>
        <div className="overflow-x-auto rounded-lg border border-border bg-card p-4">
          <LiveMachine layout={layout} conversationId={conversation?.id ?? null} />
        </div>
      </section>
    </ChatShell>
  );
}
