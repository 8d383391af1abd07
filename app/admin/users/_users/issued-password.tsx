'use client';
import { useState } from 'react';

/** A password Pulse generated, shown this once with a copy button (it keeps only a hash). */
export function IssuedPassword({
  username,
  password,
  title,
  onDone,
}: {
  username: string;
  password: string;
  title: string;
  onDone: () => void;
}) {
  const [copied, setCopied] = useState<'yes' | 'failed' | null>(null);
  const id = `issued-password-${username}`;

  async function copy() {
    try {
      await navigator.clipboard.writeText(password);
      setCopied('yes');
    } catch {
      setCopied('failed');
      const node = document.getElementById(id);
      if (node) {
        const range = document.createRange();
        range.selectNodeContents(node);
        window.getSelection()?.removeAllRanges();
        window.getSelection()?.addRange(range);
      }
    }
  }

  return (
    <div className="secret-box" role="region" aria-label={title}>
      <h3>{title}</h3>
      <p className="notice notice-warn">
        Give this password to {username} now: Pulse keeps only a hash of it and cannot show it
        again. They can change it on their account page.
      </p>
      <div className="secret-row">
        <code id={id} className="secret-value" data-testid="issued-password">
          {password}
        </code>
        <button type="button" className="button button-ghost" onClick={() => void copy()}>
          Copy
        </button>
      </div>
      <p role="status" className="muted small">
        {copied === 'yes'
          ? 'Copied to the clipboard.'
          : copied === 'failed'
            ? 'Could not reach the clipboard: the password is selected, copy it by hand.'
            : ''}
      </p>
      <button type="button" className="button button-ghost" onClick={onDone}>
        Done
      </button>
    </div>
  );
}
