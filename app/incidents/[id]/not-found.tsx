import Link from 'next/link';

export default function IncidentNotFound() {
  return (
    <main id="main" className="page narrow">
      <div className="card not-found" data-testid="not-found">
        <h1>No such incident</h1>
        <p className="muted">It may have been removed with its metrics, or the link is wrong.</p>
        <Link href="/" className="link">
          ← Back to the board
        </Link>
      </div>
    </main>
  );
}
