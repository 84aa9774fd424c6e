'use client';

import Link from 'next/link';
import { usePathname } from 'next/navigation';
import type { ReactNode } from 'react';

export function SidebarLink({ href, children, onDoubleClick }: { href: string; children: ReactNode; onDoubleClick?: () => void }) {
  const current = usePathname() === href;
  return (
    <Link
      href={href}
      aria-current={current ? 'page' : undefined}
      onDoubleClick={
        onDoubleClick &&
        ((event) => {
          event.preventDefault();
          onDoubleClick();
        })
      }
      className="block min-w-0 flex-1 truncate rounded-lg px-3 py-2 text-sm hover:bg-muted focus-visible:outline-2 focus-visible:outline-accent aria-[current=page]:bg-muted aria-[current=page]:font-medium"
    >
      {children}
    </Link>
  );
}
