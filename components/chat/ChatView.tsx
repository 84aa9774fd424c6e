import Link from 'next/link';
import type { ChatItem } from '@/lib/contract';
import { Chat } from '@/components/chat/Chat';
import { MessageList } from '@/components/chat/MessageBubble';

type ChatViewProps = { conversationId: string | null; messages: ChatItem[]; running?: boolean };

export function ChatView({ conversationId, messages, running = false }: ChatViewProps) {
  return (
    <section aria-label="Conversation" className="mx-auto flex w-full max-w-3xl flex-1 flex-col gap-6 px-4 pt-6">
      {conversationId ? (
        <nav aria-label="Conversation tools" className="-mb-3 flex justify-end gap-4 text-sm">
          <Link href={`/c/${conversationId}/trace`} className="text-muted-foreground underline-offset-2 hover:text-foreground hover:underline">
            Trace
          </Link>
          <Link href={`/inspect?c=${conversationId}`} className="text-muted-foreground underline-offset-2 hover:text-foreground hover:underline">
            Watch the machine
          </Link>
        </nav>
      ) : null}
      <MessageList messages={messages} />
      <Chat key={conversationId ?? 'new'} conversationId={conversationId} persistedCount={messages.length} running={running} />
    </section>
  );
}
