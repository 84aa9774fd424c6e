import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { ChatShell } from '@/components/chat/ChatShell';
import { ChatView } from '@/components/chat/ChatView';
import { findVisitorConversation, listVisitorConversations } from '@/lib/conversations';

export const dynamic = 'force-dynamic';

type Props = { params: Promise<{ id: string }> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const conversation = await findVisitorConversation((await params).id);
  return { title: conversation?.title || 'Conversation' };
}

export default async function ConversationPage({ params }: Props) {
  const conversation = await findVisitorConversation((await params).id);
  if (!conversation) notFound();
  // Titles of the parent and the branches, from the list the sidebar reads anyway (one query per request).
  const titles = new Map((await listVisitorConversations()).map((c) => [c.id, c.title]));
  const lineage = {
    parent: conversation.parent && titles.has(conversation.parent.conversationId)
      ? { id: conversation.parent.conversationId, title: titles.get(conversation.parent.conversationId) ?? '', step: conversation.parent.step }
      : null,
    forks: conversation.forks.map((fork) => ({ id: fork.id, title: titles.get(fork.id) ?? '', step: fork.step })),
  };
  return (
    <ChatShell>
      <ChatView conversationId={conversation.id} messages={conversation.messages} running={conversation.running} lineage={lineage} />
    </ChatShell>
  );
}
