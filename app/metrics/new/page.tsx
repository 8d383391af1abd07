import type { Metadata } from 'next';
import Link from 'next/link';
import { NEW_METRIC_RULE } from '@/lib/types';
import { webContext } from '@/app/_server/context';
import { hasRole, requirePageUser } from '@/app/_server/session';
import { AppHeader } from '../../_components/app-header';
import { loadCatalog } from '../catalog';
import { DefinitionForm } from '../definition-form';

export const dynamic = 'force-dynamic';

export const metadata: Metadata = { title: 'New metric · Pulse' };

/** Create a metric (editors); viewers are told they cannot. */
export default async function NewMetricPage() {
  const user = await requirePageUser('/metrics/new');
  const header = { username: user.username, role: user.role };
  if (!hasRole(user, 'editor')) {
    return (
      <>
        <AppHeader user={header} />
        <main id="main" className="page narrow">
          <div className="section-head">
            <h1>New metric</h1>
          </div>
          <p className="notice notice-warn" role="alert" data-testid="editor-refusal">
            Only editors can create metrics. You are signed in as {user.username} with the{' '}
            {user.role} role.
          </p>
          <Link href="/metrics" className="link">
            ← All metrics
          </Link>
        </main>
      </>
    );
  }
  return (
    <DefinitionForm
      user={header}
      canEdit
      catalog={await loadCatalog()}
      rule={NEW_METRIC_RULE}
      windowMs={webContext().config.windowMs}
      metric={null}
    />
  );
}
