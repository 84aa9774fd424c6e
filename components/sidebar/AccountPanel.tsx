import { visitorSessionInfo } from '@/lib/services/accounts';
import { SignInLink } from '@/components/sidebar/SignInLink';

const buttonClass =
  'rounded-lg border border-border px-3 py-1.5 text-sm font-medium hover:bg-muted focus-visible:outline-2 focus-visible:outline-accent';

/**
 * Who is signed in, with Sign out; or Sign in. Nothing when sign-in is not set up: everyone is an anonymous
 * session then, as before accounts existed.
 */
export async function AccountPanel() {
  const { signIn, account } = await visitorSessionInfo();
  if (signIn === 'off') return null;
  if (!account) {
    return (
      <div className="mx-3 mb-3 flex flex-col gap-1.5 border-t border-border pt-3">
        <p className="px-1 text-xs text-muted-foreground">Sign in to keep your chats on every device.</p>
        <SignInLink className={`${buttonClass} text-center`} />
      </div>
    );
  }
  const label = account.name ?? account.email ?? 'Signed in';
  return (
    <div className="mx-3 mb-3 flex items-center gap-2 border-t border-border pt-3" aria-label="Account" role="group">
      <div className="min-w-0 flex-1 px-1">
        <p className="truncate text-sm font-medium" title={label}>
          {label}
        </p>
        {account.name && account.email ? (
          <p className="truncate text-xs text-muted-foreground" title={account.email}>
            {account.email}
          </p>
        ) : null}
      </div>
      <form action="/api/auth/signout" method="post">
        <button type="submit" className={buttonClass}>
          Sign out
        </button>
      </form>
    </div>
  );
}
