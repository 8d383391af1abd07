import Link from 'next/link';

export default function MetricNotFound() {
  return (
    <main id="main" className="page narrow">
      <div className="card not-found" data-testid="not-found">
        <h1>No such metric</h1>
        <p className="muted">Check the link, or pick a metric on the board.</p>
        <Link href="/" className="link">
          ← Back to the board
        </Link>
      </div>
    </main>
  );
}
