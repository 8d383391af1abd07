'use client';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import {
  KEY_NAME_MAX,
  validateKeyName,
  type ApiKeyView,
  type CreatedApiKey,
} from '@/lib/auth/api-keys';
import { AppHeader, type HeaderUser } from '../../_components/app-header';
import { EventText } from '../../_components/event-text';
import { Field } from '../../_components/form-field';
import { TimeAgo } from '../../_components/time-ago';
import { apiFetch, loginHref } from '../../_lib/api';
import { revealControls } from '../../_lib/format';
import { useForm } from '../../_lib/use-form';
import { TableWrap } from '@/app/_components/table-wrap';

/** Newly created key: its secret, shown this once. */
interface Fresh extends CreatedApiKey {
  origin: string;
}

export function ApiKeysView({ user, initial }: { user: HeaderUser; initial: ApiKeyView[] }) {
  const router = useRouter();
  const [keys, setKeys] = useState(initial);
  const [fresh, setFresh] = useState<Fresh | null>(null);
  const [confirming, setConfirming] = useState<number | null>(null);
  const [revoking, setRevoking] = useState(false);
  const [listError, setListError] = useState<string | null>(null);

  const form = useForm({
    initial: { name: '' },
    validate: ({ name }: { name: string }) => {
      const checked = validateKeyName(name);
      return checked.ok
        ? { value: checked.name, errors: {} }
        : { value: null, errors: { name: checked.error } };
    },
    onInvalid: () => document.getElementById('key-name')?.focus(),
    submit: (name) =>
      apiFetch<CreatedApiKey>('/api/api-keys', {
        method: 'POST',
        body: JSON.stringify({ name }),
      }),
    onSuccess: (created) => {
      setFresh({ ...created, origin: window.location.origin });
      setKeys((list) => [created.key, ...list.filter((k) => k.id !== created.key.id)]);
      return { name: '' };
    },
  });
  const creating = form.pending;
  const nameError = form.errorFor('name');

  async function revoke(key: ApiKeyView) {
    if (revoking) return;
    setRevoking(true);
    setListError(null);
    const result = await apiFetch<{ key: ApiKeyView }>(`/api/api-keys/${key.id}/revoke`, {
      method: 'POST',
    });
    setRevoking(false);
    if (result.ok) {
      setKeys((list) => list.map((k) => (k.id === key.id ? result.data.key : k)));
      setConfirming(null);
      if (fresh?.key.id === key.id) setFresh(null);
      return;
    }
    if (result.status === 401) return router.replace(loginHref('/admin/api-keys'));
    setListError(result.error);
  }

  const active = keys.filter((k) => k.revokedAt === null).length;

  return (
    <>
      <AppHeader user={user} />
      <main id="main" className="page">
        <nav className="breadcrumb" aria-label="Breadcrumb">
          <Link href="/" className="link">
            ← Back to the board
          </Link>
        </nav>
        <div className="section-head">
          <h1>API keys</h1>
          <p className="muted">
            Services send events to <code>POST /api/ingest</code> with{' '}
            <code>Authorization: Bearer &lt;key&gt;</code>. Pulse stores only a hash of each key.
          </p>
        </div>

        <section className="card" aria-labelledby="new-key-heading">
          <h2 id="new-key-heading">New key</h2>
          <form method="post" onSubmit={form.handleSubmit} noValidate className="api-key-form">
            <Field
              id="key-name"
              label="Name"
              hint={
                <>What will use it, e.g. “checkout service”. Up to {KEY_NAME_MAX} characters.</>
              }
              error={nameError}
            >
              <input
                {...form.fieldProps('name', 'key-name')}
                // No check on leaving the field: an empty name is wrong only once a key is asked for.
                onBlur={undefined}
                value={form.values.name}
                maxLength={KEY_NAME_MAX * 2}
                autoComplete="off"
                onChange={(e) => form.set('name', e.target.value)}
                disabled={creating}
              />
            </Field>
            <div className="form-actions">
              <button type="submit" className="button button-primary" disabled={creating}>
                {creating ? 'Creating…' : 'Create key'}
              </button>
            </div>
            {form.formError && !nameError ? (
              <p role="alert" className="form-error" data-testid="form-error">
                {form.formError}
              </p>
            ) : null}
          </form>
          {fresh ? <FreshKey fresh={fresh} onDone={() => setFresh(null)} /> : null}
        </section>

        <section className="card" aria-labelledby="keys-heading">
          <div className="card-head">
            <h2 id="keys-heading">Keys</h2>
            <span className="muted">
              {active} active{keys.length > active ? ` · ${keys.length - active} revoked` : ''}
            </span>
          </div>
          {listError ? (
            <p role="alert" className="form-error">
              {listError}
            </p>
          ) : null}
          {keys.length === 0 ? (
            <p className="empty">No API keys yet. Create one above for a service to send events.</p>
          ) : (
            <TableWrap label="API keys">
              <table className="table" data-testid="api-keys">
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Key</th>
                    <th scope="col">Created</th>
                    <th scope="col">Last used</th>
                    <th scope="col">Status</th>
                    <th scope="col">
                      <span className="sr-only">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {keys.map((key) => (
                    <KeyRow
                      key={key.id}
                      apiKey={key}
                      confirming={confirming === key.id}
                      revoking={revoking}
                      onAsk={() => {
                        setConfirming(key.id);
                        setListError(null);
                      }}
                      onCancel={() => setConfirming(null)}
                      onRevoke={() => void revoke(key)}
                    />
                  ))}
                </tbody>
              </table>
            </TableWrap>
          )}
        </section>
      </main>
    </>
  );
}

function FreshKey({ fresh, onDone }: { fresh: Fresh; onDone: () => void }) {
  const [copied, setCopied] = useState<'yes' | 'failed' | null>(null);

  async function copy() {
    try {
      await navigator.clipboard.writeText(fresh.secret);
      setCopied('yes');
    } catch {
      setCopied('failed');
      const range = document.createRange();
      const node = document.getElementById('new-key-secret');
      if (node) {
        range.selectNodeContents(node);
        window.getSelection()?.removeAllRanges();
        window.getSelection()?.addRange(range);
      }
    }
  }

  return (
    <div className="secret-box" role="region" aria-labelledby="fresh-key-heading">
      <h3 id="fresh-key-heading">
        Key “<EventText value={fresh.key.name} />” created
      </h3>
      <p className="notice notice-warn" data-testid="new-key-warning">
        Copy this key now. Pulse keeps only a hash of it and cannot show it again; if it is lost,
        revoke it and create another.
      </p>
      <div className="secret-row">
        <code id="new-key-secret" className="secret-value" data-testid="new-key-secret">
          {fresh.secret}
        </code>
        <button type="button" className="button button-ghost" onClick={() => void copy()}>
          Copy
        </button>
      </div>
      <p role="status" className="muted small">
        {copied === 'yes'
          ? 'Copied to the clipboard.'
          : copied === 'failed'
            ? 'Could not reach the clipboard: the key is selected, copy it by hand.'
            : ''}
      </p>
      <p className="muted small">Try it:</p>
      <pre className="secret-example">
        <code>
          {`curl -X POST ${fresh.origin}/api/ingest \\\n  -H 'Authorization: Bearer ${fresh.secret}' \\\n  -H 'Content-Type: application/x-ndjson' \\\n  --data-binary @events.ndjson`}
        </code>
      </pre>
      <button type="button" className="button button-ghost" onClick={onDone}>
        I have saved it
      </button>
    </div>
  );
}

function KeyRow({
  apiKey,
  confirming,
  revoking,
  onAsk,
  onCancel,
  onRevoke,
}: {
  apiKey: ApiKeyView;
  confirming: boolean;
  revoking: boolean;
  onAsk: () => void;
  onCancel: () => void;
  onRevoke: () => void;
}) {
  const revoked = apiKey.revokedAt !== null;
  return (
    <tr
      data-testid="api-key-row"
      data-key-id={apiKey.id}
      data-state={revoked ? 'revoked' : 'active'}
      className={revoked ? 'key-revoked' : undefined}
    >
      <td className="key-name">
        <EventText value={apiKey.name} />
      </td>
      <td>
        <code>{apiKey.prefix}…</code>
      </td>
      <td>
        <TimeAgo ms={apiKey.createdAt} />
        {apiKey.createdBy ? (
          <span className="muted">
            {' '}
            by <EventText value={apiKey.createdBy} />
          </span>
        ) : null}
      </td>
      <td>{apiKey.lastUsedAt !== null ? <TimeAgo ms={apiKey.lastUsedAt} /> : 'never'}</td>
      <td>
        {apiKey.revokedAt !== null ? (
          <span className="badge status-critical">
            Revoked <TimeAgo ms={apiKey.revokedAt} />
            {apiKey.revokedBy ? (
              <>
                {' '}
                by <EventText value={apiKey.revokedBy} />
              </>
            ) : null}
          </span>
        ) : (
          <span className="badge status-ok">Active</span>
        )}
      </td>
      <td className="key-actions">
        {revoked ? null : confirming ? (
          <div
            className="confirm-inline"
            role="group"
            aria-label={revealControls(`Revoke ${apiKey.name}?`)}
          >
            <span>Clients using it get 401 at once.</span>
            <button
              type="button"
              className="button button-danger"
              onClick={onRevoke}
              disabled={revoking}
              autoFocus
            >
              {revoking ? 'Revoking…' : 'Revoke key'}
            </button>
            <button
              type="button"
              className="button button-ghost"
              onClick={onCancel}
              disabled={revoking}
            >
              Cancel
            </button>
          </div>
        ) : (
          <button
            type="button"
            className="button button-ghost"
            onClick={onAsk}
            aria-label={revealControls(`Revoke ${apiKey.name}`)}
          >
            Revoke…
          </button>
        )}
      </td>
    </tr>
  );
}
