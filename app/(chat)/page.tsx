import { ChatShell } from '@/components/chat/ChatShell';
import { ChatView } from '@/components/chat/ChatView';

export const dynamic = 'force-dynamic';

export default function NewChatPage() {
  return (
    <ChatShell>
      <ChatView conversationId={null} messages={[]} />
    </ChatShell>
  );
}
