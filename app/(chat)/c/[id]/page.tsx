import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { ChatShell } from '@/components/chat/ChatShell';
import { ChatView } from '@/components/chat/ChatView';
import { findVisitorConversation, lineageOf, listVisitorConversations } from '@/lib/services/conversations';
import { findVisitorShareUrl } from '@/lib/services/shares';

export const dynamic = 'force-dynamic';

type Props = { params: Promise<{ id: string }> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const conversation = await findVisitorConversation((await params).id);
  return { title: conversation?.title || 'Conversation' };
}

export default async function ConversationPage({ params }: Props) {
  const conversation = await findVisitorConversation((await params).id);
  if (!conversation) notFound();
  // Titles of the parent and the branches come from the list the sidebar reads anyway (one query per request).
  const [list, sharedUrl] = await Promise.all([listVisitorConversations(), findVisitorShareUrl(conversation.id)]);
  const lineage = lineageOf(conversation, list);
  return (
    <ChatShell>
      <ChatView conversationId={conversation.id} messages={conversation.messages} running={conversation.running} lineage={lineage} sharedUrl={sharedUrl} />
    </ChatShell>
  );
}
