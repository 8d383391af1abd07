import Link from 'next/link';
import { connection } from 'next/server';

export default async function NotFound() {
  // Rendered per request, never prerendered: the page's scripts need this response's CSP nonce
  // (proxy.ts), which a page built ahead of time cannot carry.
  await connection();
  return (
    <main id="main" className="page narrow">
      <div className="card not-found" data-testid="not-found">
        <p className="eyebrow">404</p>
        <h1>Page not found</h1>
        <p className="muted">There is nothing at this address.</p>
        <Link href="/" className="link">
          ← Back to the board
        </Link>
      </div>
    </main>
  );
}
