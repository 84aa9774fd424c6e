'use client';

import { usePathname } from 'next/navigation';

/** Signs in and comes back to the page it was pressed on. A plain link: the sign-in route redirects to the provider. */
export function SignInLink({ className }: { className: string }) {
  const returnTo = usePathname();
  return (
    <a href={`/api/auth/signin/oidc?returnTo=${encodeURIComponent(returnTo)}`} className={className}>
      Sign in
    </a>
  );
}
