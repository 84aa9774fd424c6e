import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { Transcript } from '@/components/chat/Transcript';
import { ContinueChatButton } from '@/components/share/ContinueChatButton';
import { findSharedForPage } from '@/lib/services/shares';

export const dynamic = 'force-dynamic';

type Props = { params: Promise<{ token: string }> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const shared = await findSharedForPage((await params).token);
  // A link is for the people it was sent to, never for search engines.
  return { title: shared?.title || 'Shared conversation', robots: { index: false, follow: false } };
}

/** A conversation shared by link, read-only, for anyone: its title and messages as they are now, nothing else. */
export default async function SharedConversationPage({ params }: Props) {
  const { token } = await params;
  const shared = await findSharedForPage(token);
  if (!shared) notFound();
  return (
    <div className="flex min-h-dvh flex-col">
      <header className="border-b border-border bg-card">
        <div className="mx-auto flex w-full max-w-3xl items-center justify-between gap-4 px-4 py-3">
          <Link href="/" className="text-lg font-semibold tracking-tight focus-visible:outline-2 focus-visible:outline-accent">
            Sluice
          </Link>
          <span className="text-sm text-muted-foreground">Shared conversation, read-only</span>
        </div>
      </header>
      <main className="mx-auto flex w-full max-w-3xl flex-1 flex-col gap-6 px-4 py-6">
        <h1 className="text-2xl font-semibold tracking-tight">{shared.title || 'Shared conversation'}</h1>
        <section aria-label="Conversation" className="flex flex-col gap-6">
          <Transcript messages={shared.messages} conversationId={null} turn={null} fileBase={`/api/shared/${token}/attachments`} />
        </section>
        <div className="mt-4 border-t border-border pt-6">
          <ContinueChatButton token={token} />
        </div>
      </main>
    </div>
  );
}
