import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { ChatShell } from '@/components/chat/ChatShell';
import { RunTraceCard } from '@/components/inspector/RunTraceCard';
import { findVisitorConversation, findVisitorRunTraces } from '@/lib/services/conversations';

export const dynamic = 'force-dynamic';

type Props = { params: Promise<{ id: string }>; searchParams: Promise<{ run?: string; step?: string }> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const conversation = await findVisitorConversation((await params).id);
  return { title: `Trace: ${conversation?.title || 'Conversation'}` };
}

export default async function TracePage({ params, searchParams }: Props) {
  const [{ id }, { run: selectedRun, step: selectedStep }] = await Promise.all([params, searchParams]);
  const conversation = await findVisitorConversation(id);
  if (!conversation) notFound();
  const runs = (await findVisitorRunTraces(conversation.id)) ?? [];
  return (
    <ChatShell>
      <section aria-labelledby="trace-title" className="mx-auto flex w-full max-w-5xl flex-col gap-4 px-4 py-6">
        <header className="flex flex-wrap items-baseline justify-between gap-2">
          <h1 id="trace-title" className="text-xl font-semibold">
            Trace: {conversation.title || 'New conversation'}
          </h1>
          <nav aria-label="Trace tools" className="flex gap-4 text-sm">
            <Link href={`/c/${conversation.id}`} className="text-accent underline-offset-2 hover:underline">
              Back to the conversation
            </Link>
            <Link href={`/inspect?c=${conversation.id}`} className="text-accent underline-offset-2 hover:underline">
              Watch the machine
            </Link>
          </nav>
        </header>
        <p className="text-sm text-muted-foreground">
          Every run, newest first, with its steps on one time axis (the safety check and the mode decision run side by
          side; the tick marks the first token). Select a step to see the state before and after it and exactly what it
          sent upstream.
        </p>
        {runs.length === 0 ? <p>No runs yet: send a prompt in the conversation.</p> : null}
        {runs.map((run, index) => (
          <RunTraceCard
            key={run.id}
            run={run}
            earlier={runs[index + 1]}
            conversationId={conversation.id}
            selectedStep={run.id === selectedRun ? (selectedStep ?? null) : null}
          />
        ))}
      </section>
    </ChatShell>
  );
}
