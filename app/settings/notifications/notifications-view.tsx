'use client';
import Link from 'next/link';
import { useState } from 'react';
import type {
  ChannelView,
  NotificationSettingsView,
  RouteView,
  SilenceView,
} from '@/lib/alerts/notify/settings-view';
import { AppHeader, type HeaderUser } from '../../_components/app-header';
import { ChannelList } from './_notifications/channel-list';
import { NewChannelForm } from './_notifications/new-channel-form';
import { RoutesEditor } from './_notifications/routes-editor';
import { SilencesPanel } from './_notifications/silences-panel';

const byId = (a: ChannelView, b: ChannelView) =>
  Number(b.provisioned) - Number(a.provisioned) || a.id.localeCompare(b.id);

export function NotificationsView({
  user,
  initial,
}: {
  user: HeaderUser;
  initial: NotificationSettingsView;
}) {
  const [channels, setChannels] = useState<ChannelView[]>(initial.channels);
  const [routes, setRoutes] = useState<RouteView[]>(initial.routes);
  const [silences, setSilences] = useState<SilenceView[]>(initial.silences);

  const replaceChannel = (changed: ChannelView) =>
    setChannels((list) => list.map((c) => (c.id === changed.id ? changed : c)));

  return (
    <>
      <AppHeader user={user} />
      <main id="main" className="page notify-page">
        <nav className="breadcrumb" aria-label="Breadcrumb">
          <Link href="/" className="link">
            ← Back to the board
          </Link>
        </nav>
        <div className="section-head">
          <h1>Notifications</h1>
          <p className="muted">
            Where incidents are sent (channels), which incidents go where (routes), and what is
            muted for a while (silences). Settings from <code>PULSE_NOTIFY_CONFIG</code> or{' '}
            <code>PULSE_WEBHOOK_URL</code> are shown read-only.
          </p>
        </div>

        <div className="notify-grid">
          <section className="card" aria-labelledby="channels-heading">
            <div className="card-head">
              <h2 id="channels-heading">Channels</h2>
              <span className="muted small">
                {channels.filter((c) => c.enabled).length} enabled of {channels.length}
              </span>
            </div>
            <ChannelList
              channels={channels}
              onChanged={replaceChannel}
              onDeleted={(id) => setChannels((list) => list.filter((c) => c.id !== id))}
            />
          </section>

          <section className="card" aria-labelledby="new-channel-heading">
            <h2 id="new-channel-heading">New channel</h2>
            <NewChannelForm
              taken={channels.map((c) => c.id)}
              onCreated={(created) =>
                setChannels((list) =>
                  [...list.filter((c) => c.id !== created.id), created].sort(byId),
                )
              }
            />
          </section>
        </div>

        <section className="card" aria-labelledby="routes-heading">
          <div className="card-head">
            <h2 id="routes-heading">Routes</h2>
            <span className="muted small">
              {routes.length} {routes.length === 1 ? 'route' : 'routes'}
            </span>
          </div>
          <RoutesEditor
            routes={routes}
            channels={channels}
            onSaved={(saved) => {
              setRoutes(saved.routes);
              setChannels(saved.channels);
            }}
          />
        </section>

        <SilencesPanel
          silences={silences}
          onCreated={(created) => setSilences((list) => [created, ...list])}
          onChanged={(changed) =>
            setSilences((list) => list.map((s) => (s.id === changed.id ? changed : s)))
          }
        />
      </main>
    </>
  );
}
