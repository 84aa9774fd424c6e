import Link from 'next/link';
import type { ChatItem } from '@/lib/contract';
import type { Lineage } from '@/lib/services/conversations';
import { Chat } from '@/components/chat/Chat';
import { ExportMenu } from '@/components/chat/ExportMenu';
import { ShareControls } from '@/components/share/ShareControls';

type ChatViewProps = {
  conversationId: string | null;
  messages: ChatItem[];
  running?: boolean;
  lineage?: Lineage;
  /** The link the conversation is shared under, when it is. */
  sharedUrl?: string | null;
};

function LineageNote({ lineage }: { lineage: Lineage }) {
  if (!lineage.parent && lineage.forks.length === 0) return null;
  const link = 'font-medium text-accent underline-offset-2 hover:underline';
  return (
    <aside aria-label="Branches" className="flex flex-col gap-1 rounded-lg border border-border bg-card px-3 py-2 text-sm text-muted-foreground">
      {lineage.parent ? (
        <p>
          Forked from{' '}
          <Link href={`/c/${lineage.parent.id}`} className={link}>
            {lineage.parent.title || 'New conversation'}
          </Link>{' '}
          at <code>{lineage.parent.step}</code>
        </p>
      ) : null}
      {lineage.forks.length > 0 ? (
        <p>
          Branches:{' '}
          {lineage.forks.map((fork, index) => (
            <span key={fork.id}>
              {index > 0 ? ', ' : ''}
              <Link href={`/c/${fork.id}`} className={link}>
                {fork.title || 'New conversation'}
              </Link>{' '}
              (<code>{fork.step}</code>)
            </span>
          ))}
        </p>
      ) : null}
    </aside>
  );
}

export function ChatView({ conversationId, messages, running = false, lineage, sharedUrl = null }: ChatViewProps) {
  return (
    // data-running: the page was rendered while an answer was being written (it then follows it live).
    <section aria-label="Conversation" data-running={running || undefined} className="mx-auto flex w-full max-w-3xl flex-1 flex-col gap-6 px-4 pt-6">
      {conversationId ? (
        <nav aria-label="Conversation tools" className="-mb-3 flex flex-wrap justify-end gap-x-4 gap-y-2 text-sm">
          <ShareControls conversationId={conversationId} sharedUrl={sharedUrl} />
          <ExportMenu conversationId={conversationId} />
          <Link href={`/c/${conversationId}/trace`} className="text-muted-foreground underline-offset-2 hover:text-foreground hover:underline">
            Trace
          </Link>
          <Link href={`/inspect?c=${conversationId}`} className="text-muted-foreground underline-offset-2 hover:text-foreground hover:underline">
            Watch the machine
          </Link>
        </nav>
      ) : null}
      {lineage ? <LineageNote lineage={lineage} /> : null}
      <Chat key={conversationId ?? 'new'} conversationId={conversationId} messages={messages} running={running} />
    </section>
  );
}
