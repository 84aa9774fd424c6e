import type { ChatItem } from '@/lib/contract';
import { Chat } from '@/components/chat/Chat';
import { MessageList } from '@/components/chat/MessageBubble';

type ChatViewProps = { conversationId: string | null; messages: ChatItem[]; running?: boolean };

export function ChatView({ conversationId, messages, running = false }: ChatViewProps) {
  return (
    <section aria-label="Conversation" className="mx-auto flex w-full max-w-3xl flex-1 flex-col gap-6 px-4 pt-6">
      <MessageList messages={messages} />
      <Chat key={conversationId ?? 'new'} conversationId={conversationId} persistedCount={messages.length} running={running} />
    </section>
  );
}
