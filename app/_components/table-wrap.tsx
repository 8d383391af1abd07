'use client';
/**
 * A table's horizontal scroller. While the table is wider than the space it has (a phone, a long
 * value), the scroller is a named region in the tab order, so a keyboard can scroll it too; when
 * everything fits it is a plain box, not a dead tab stop.
 */
import { useEffect, useRef, useState, type ReactNode } from 'react';

export function TableWrap({ label, children }: { label: string; children: ReactNode }) {
  const box = useRef<HTMLDivElement>(null);
  const [scrolls, setScrolls] = useState(false);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const check = () => setScrolls(el.scrollWidth > el.clientWidth + 1);
    check();
    const observer = new ResizeObserver(check);
    observer.observe(el);
    for (const child of el.children) observer.observe(child);
    return () => observer.disconnect();
  }, []);
  return (
    <div
      ref={box}
      className="table-wrap"
      {...(scrolls ? { tabIndex: 0, role: 'region', 'aria-label': label } : {})}
    >
      {children}
    </div>
  );
}
