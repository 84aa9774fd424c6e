import type { ChatItem } from '@/lib/contract';
import { Chat } from '@/components/chat/Chat';
import { MessageList } from '@/components/chat/MessageBubble';

export function ChatView({ conversationId, messages }: { conversationId: string | null; messages: ChatItem[] }) {
  return (
    <section aria-label="Conversation" className="mx-auto flex w-full max-w-3xl flex-1 flex-col gap-6 px-4 pt-6">
      {messages.length === 0 ? (
        <div className="py-12 text-center">
          <h1 className="text-2xl font-semibold">What can I do for you?</h1>
          <p className="mt-2 text-muted-foreground">
            Ask a question, ask for a poem, or ask for some code. Every prompt is checked for safety and routed to the
            right mode before the answer streams in.
          </p>
        </div>
      ) : null}
      <MessageList messages={messages} />
      <Chat key={conversationId ?? 'new'} conversationId={conversationId} persistedCount={messages.length} />
    </section>
  );
}
