import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { ChatShell } from '@/components/chat/ChatShell';
import { ChatView } from '@/components/chat/ChatView';
import { findVisitorConversation } from '@/lib/conversations';

export const dynamic = 'force-dynamic';

type Props = { params: Promise<{ id: string }> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const conversation = await findVisitorConversation((await params).id);
  return { title: conversation?.title || 'Conversation' };
}

export default async function ConversationPage({ params }: Props) {
  const conversation = await findVisitorConversation((await params).id);
  if (!conversation) notFound();
  return (
    <ChatShell>
      <ChatView conversationId={conversation.id} messages={conversation.messages} running={conversation.running} />
    </ChatShell>
  );
}
