import Link from 'next/link';
import type { ReactNode } from 'react';
import { SignOutButton } from './sign-out-button';
import { BrandMark } from './brand-mark';
import { EventText } from './event-text';
import { ShortcutsHelp } from './shortcuts';
import { ThemeToggle } from './theme-toggle';

export interface HeaderUser {
  username: string;
  role: 'viewer' | 'editor' | 'admin';
}

/** A person's outline: the account link, also where the name is hidden (phones). */
function AccountIcon() {
  return (
    <svg
      className="user-icon"
      width="18"
      height="18"
      viewBox="0 0 24 24"
      fill="none"
      stroke="currentColor"
      strokeWidth="2"
      strokeLinecap="round"
      strokeLinejoin="round"
      aria-hidden="true"
      focusable="false"
    >
      <circle cx="12" cy="8" r="4" />
      <path d="M4 21c0-4 3.6-7 8-7s8 3 8 7" />
    </svg>
  );
}

/**
 * The bar on every signed-in page: product, live state, the colour theme, the keyboard
 * shortcuts (`?`), who is signed in (a link to their account), sign out. On a phone it takes two
 * rows, the links on the second (app/styles/layout.css).
 */
export function AppHeader({ user, children }: { user: HeaderUser; children?: ReactNode }) {
  return (
    <header className="app-header">
      <div className="app-header-inner">
        <Link href="/" className="brand" aria-label="Pulse — live board">
          <BrandMark size={22} />
          <span className="brand-name">Pulse</span>
        </Link>
        <nav aria-label="Main">
          <Link href="/metrics" className="link">
            Metrics
          </Link>
          <Link href="/health" className="link">
            Health
          </Link>
          {user.role === 'admin' ? (
            <>
              <Link href="/admin/users" className="link">
                Users
              </Link>
              <Link href="/admin/api-keys" className="link">
                API keys
              </Link>
              <Link href="/settings/notifications" className="link">
                Notifications
              </Link>
            </>
          ) : null}
        </nav>
        <div className="app-header-status">{children}</div>
        <div className="app-header-user">
          <ThemeToggle />
          <ShortcutsHelp />
          <Link
            href="/account"
            className="user user-link"
            data-testid="current-user"
            title="Your account: password and sessions"
          >
            <AccountIcon />
            <EventText className="user-name" value={user.username} />
            <span className={`role role-${user.role}`} data-testid="current-role">
              {user.role}
            </span>
            <span className="sr-only">, your account</span>
          </Link>
          <SignOutButton />
        </div>
      </div>
    </header>
  );
}
