'use client';
import Link from 'next/link';
import { useState } from 'react';
import type { UserView } from '@/lib/auth/accounts';
import { AppHeader, type HeaderUser } from '../../_components/app-header';
import { TimeAgo } from '../../_components/time-ago';
import { ManageUser } from './_users/manage-user';
import { NewUserForm } from './_users/new-user-form';
import { TableWrap } from '@/app/_components/table-wrap';

const byName = (a: UserView, b: UserView) => a.username.localeCompare(b.username);

export function UsersView({
  user,
  selfId,
  initial,
}: {
  user: HeaderUser;
  selfId: number;
  initial: UserView[];
}) {
  const [users, setUsers] = useState(initial);
  const [selected, setSelected] = useState<number | null>(null);
  const [gone, setGone] = useState<string | null>(null);
  const current = users.find((u) => u.id === selected) ?? null;

  const replace = (changed: UserView) =>
    setUsers((list) => list.map((u) => (u.id === changed.id ? changed : u)));

  function open(id: number) {
    setSelected(id);
    setGone(null);
    // The panel is below the list: take the eye (and focus) there.
    requestAnimationFrame(() => {
      const heading = document.getElementById('manage-heading');
      heading?.focus({ preventScroll: true });
      heading?.scrollIntoView({ block: 'start', behavior: 'smooth' });
    });
  }

  const enabled = users.filter((u) => u.disabledAt === null).length;

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
          <h1>Users</h1>
          <p className="muted">
            Who can sign in to Pulse, and with which role. Also from a terminal:{' '}
            <code>npm run users</code>.
          </p>
        </div>

        <section className="card" aria-labelledby="new-user-heading">
          <h2 id="new-user-heading">New user</h2>
          <NewUserForm
            onCreated={(created) => setUsers((list) => [...list, created].sort(byName))}
          />
        </section>

        <section className="card" aria-labelledby="users-heading">
          <div className="card-head">
            <h2 id="users-heading">Users</h2>
            <span className="muted">
              {enabled} enabled
              {users.length > enabled ? ` · ${users.length - enabled} disabled` : ''}
            </span>
          </div>
          {gone ? (
            <p role="status" className="form-success">
              {gone} was deleted.
            </p>
          ) : null}
          {users.length === 0 ? (
            <p className="empty">No users yet. Create one above.</p>
          ) : (
            <TableWrap label="Users">
              <table className="table users-table" data-testid="users">
                <thead>
                  <tr>
                    <th scope="col">User</th>
                    <th scope="col">Role</th>
                    <th scope="col">Status</th>
                    <th scope="col" className="col-created">
                      Created
                    </th>
                    <th scope="col">Last seen</th>
                    <th scope="col" className="num col-sessions">
                      Sessions
                    </th>
                    <th scope="col">
                      <span className="sr-only">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {users.map((u) => (
                    <tr
                      key={u.id}
                      data-testid="user-row"
                      data-username={u.username}
                      data-state={u.disabledAt === null ? 'enabled' : 'disabled'}
                      className={
                        [
                          u.disabledAt === null ? '' : 'user-disabled',
                          u.id === selected ? 'row-selected' : '',
                        ]
                          .filter(Boolean)
                          .join(' ') || undefined
                      }
                    >
                      <td className="user-cell">
                        {u.username}
                        {u.id === selfId ? <span className="muted"> (you)</span> : null}
                      </td>
                      <td className="col-role">
                        <span className={`role role-${u.role}`}>{u.role}</span>
                      </td>
                      <td className="col-status">
                        {u.disabledAt === null ? (
                          <span className="badge status-ok">Enabled</span>
                        ) : (
                          <span className="badge status-critical">Disabled</span>
                        )}
                      </td>
                      <td className="col-created">
                        <TimeAgo ms={u.createdAt} />
                      </td>
                      <td className="col-seen" data-label="Last seen">
                        {u.lastSeenAt !== null ? <TimeAgo ms={u.lastSeenAt} /> : 'never'}
                      </td>
                      <td className="num col-sessions">{u.sessions}</td>
                      <td className="key-actions col-actions">
                        <button
                          type="button"
                          className="button button-ghost"
                          aria-label={`Manage ${u.username}`}
                          aria-expanded={u.id === selected}
                          aria-controls={u.id === selected ? 'manage-heading' : undefined}
                          onClick={() => (u.id === selected ? setSelected(null) : open(u.id))}
                        >
                          Manage
                        </button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableWrap>
          )}
        </section>

        {current ? (
          <ManageUser
            key={current.id}
            user={current}
            self={current.id === selfId}
            onChanged={replace}
            onDeleted={(deleted) => {
              setUsers((list) => list.filter((u) => u.id !== deleted.id));
              setSelected(null);
              setGone(deleted.username);
            }}
            onClose={() => setSelected(null)}
          />
        ) : null}
      </main>
    </>
  );
}
