import Link from 'next/link';
import type { ReactNode } from 'react';
import { DemoNotice } from '@/components/chat/DemoNotice';
import { AccountPanel } from '@/components/sidebar/AccountPanel';
import { Sidebar } from '@/components/sidebar/Sidebar';

function InspectorLink() {
  return (
    <Link
      href="/inspect"
      className="mx-3 mb-3 rounded-lg px-3 py-1.5 text-sm text-muted-foreground hover:bg-muted hover:text-foreground focus-visible:outline-2 focus-visible:outline-accent"
    >
      Machine inspector
    </Link>
  );
}

/**
 * The page frame: sidebar, demo notice and the page itself. Rendered by each page rather than a layout, so every
 * navigation brings a fresh conversation list from the server (layouts are kept across navigations).
 */
export function ChatShell({ children }: { children: ReactNode }) {
  return (
    <div className="flex min-h-dvh">
      <aside className="sticky top-0 hidden h-dvh w-64 shrink-0 flex-col border-r border-border bg-card md:flex">
        <div className="px-6 pt-5 pb-1 text-lg font-semibold tracking-tight">Sluice</div>
        <Sidebar />
        <InspectorLink />
        <AccountPanel />
      </aside>
      <div className="flex min-w-0 flex-1 flex-col">
        <header className="sticky top-0 z-10 border-b border-border bg-background/95 backdrop-blur md:hidden">
          <details className="group">
            <summary className="flex cursor-pointer list-none items-center justify-between px-4 py-3 font-semibold focus-visible:outline-2 focus-visible:outline-accent">
              Sluice
              <span className="text-sm font-normal text-muted-foreground group-open:hidden">Conversations</span>
              <span className="hidden text-sm font-normal text-muted-foreground group-open:inline">Close</span>
            </summary>
            <div className="max-h-[70dvh] overflow-y-auto border-t border-border">
              <Sidebar />
              <InspectorLink />
              <AccountPanel />
            </div>
          </details>
        </header>
        <DemoNotice />
        <main className="flex flex-1 flex-col">{children}</main>
      </div>
    </div>
  );
}
