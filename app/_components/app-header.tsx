import Link from 'next/link';
import type { ReactNode } from 'react';
import { SignOutButton } from './sign-out-button';
import { BrandMark } from './brand-mark';

export interface HeaderUser {
  username: string;
  role: 'viewer' | 'editor' | 'admin';
}

/** The bar on every signed-in page: product, live state, who is signed in, sign out. */
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
            <Link href="/admin/api-keys" className="link">
              API keys
            </Link>
          ) : null}
        </nav>
        <div className="app-header-status">{children}</div>
        <div className="app-header-user">
          <span className="user" data-testid="current-user">
            <span className="user-name">{user.username}</span>
            <span className={`role role-${user.role}`} data-testid="current-role">
              {user.role}
            </span>
          </span>
          <SignOutButton />
        </div>
      </div>
    </header>
  );
}
