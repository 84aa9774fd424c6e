import Link from 'next/link';
import { listVisitorConversations } from '@/lib/services/conversations';
import { ConversationItem } from '@/components/sidebar/ConversationItem';
import { ImportButton } from '@/components/sidebar/ImportButton';
import { SidebarSearch } from '@/components/sidebar/SidebarSearch';

export async function Sidebar() {
  const conversations = await listVisitorConversations();
  return (
    <nav aria-label="Conversations" className="flex min-h-0 flex-1 flex-col gap-3 p-3">
      <div className="flex flex-wrap gap-2">
        <Link
          href="/"
          className="flex-1 rounded-lg border border-border px-3 py-2 text-center text-sm font-medium hover:bg-muted focus-visible:outline-2 focus-visible:outline-accent"
        >
          New chat
        </Link>
        <ImportButton />
      </div>

      {conversations.length === 0 ? (
        <p className="px-3 text-sm text-muted-foreground">No conversations yet.</p>
      ) : (
        <SidebarSearch>
          <ul className="flex min-h-0 flex-col gap-0.5 overflow-y-auto">
            {conversations.map((conversation) => (
              <li key={conversation.id} className="group relative flex items-center gap-1">
                <ConversationItem id={conversation.id} title={conversation.title} />
              </li>
            ))}
          </ul>
        </SidebarSearch>
      )}
    </nav>
  );
}
