import Link from 'next/link';
import type { ReactNode } from 'react';
import type { ConnectionState } from '../_lib/use-pulse-socket';
import { AppHeader, type HeaderUser } from './app-header';
import { ConnectionIndicator } from './connection-state';

/** The frame of a page below the board: header with live state, a way back, the content. */
export function DetailPage({
  user,
  connection,
  children,
}: {
  user: HeaderUser;
  connection: ConnectionState;
  children: ReactNode;
}) {
  return (
    <>
      <AppHeader user={user}>
        <ConnectionIndicator state={connection} />
      </AppHeader>
      <main id="main" className="page">
        <nav className="breadcrumb" aria-label="Breadcrumb">
          <Link href="/" className="link">
            ← Back to the board
          </Link>
        </nav>
        {children}
      </main>
    </>
  );
}
