import Link from 'next/link';

export default function NotFound() {
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
