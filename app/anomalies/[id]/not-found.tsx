import Link from 'next/link';

export default function AnomalyNotFound() {
  return (
    <main id="main" className="page narrow">
      <div className="card not-found" data-testid="not-found">
        <h1>No such anomaly</h1>
        <p className="muted">It may have been removed, or the link is wrong.</p>
        <Link href="/" className="link">
          ← Back to the board
        </Link>
      </div>
    </main>
  );
}
