/** Pulse's mark: a heartbeat line, drawn in the current text colour. */
export function BrandMark({ size }: { size: number }) {
  return (
    <svg viewBox="0 0 24 24" width={size} height={size} aria-hidden="true" className="brand-mark">
      <path
        d="M2 12h4l2.5-6 4 12 3-9 2 3H22"
        fill="none"
        stroke="currentColor"
        strokeWidth="2.2"
        strokeLinecap="round"
        strokeLinejoin="round"
      />
    </svg>
  );
}
