'use client';
import Link from 'next/link';

export default function ErrorPage({
  reset,
}: {
  error: Error & { digest?: string };
  reset: () => void;
}) {
  return (
    <main id="main" className="page narrow">
      <div className="card not-found" role="alert">
        <h1>Something went wrong</h1>
        <p className="muted">Pulse could not load this page. The database may be starting up.</p>
        <div className="form-actions">
          <button type="button" className="button button-primary" onClick={reset}>
            Try again
          </button>
          <Link href="/" className="link">
            Back to the board
          </Link>
        </div>
      </div>
    </main>
  );
}
