'use client';
/**
 * Create or edit a metric definition: the panels of ./_definition-form/ on one useForm, and
 * beside them the draft's last hour of values.
 */
import type { MetricCatalog } from '@/lib/views';
import type { AlertRule } from '@/lib/types';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { changesValues, type DefinitionInput } from '@/lib/metrics/definition';
import { summarizeDefinition } from '@/lib/metrics/describe';
import { AppHeader, type HeaderUser } from '../_components/app-header';
import { EventText } from '../_components/event-text';
import { apiFetch } from '../_lib/api';
import { isSendable } from '../_lib/form-state';
import { useForm } from '../_lib/use-form';
import { IdentityPanel } from './_definition-form/identity-panel';
import { MeasurePanel } from './_definition-form/measure-panel';
import { FiltersPanel } from './_definition-form/filters-panel';
import { WindowPanel } from './_definition-form/window-panel';
import { SplitPanel } from './_definition-form/split-panel';
import { PreviewPanel } from './_definition-form/preview-panel';
import { CatalogLists } from './_definition-form/suggestions';
import {
  checkDefinition,
  firstInvalid,
  toCandidate,
  toValues,
  type EditedMetric,
} from './_definition-form/values';

export interface DefinitionFormProps {
  user: HeaderUser;
  canEdit: boolean;
  catalog: MetricCatalog;
  /** Base window of the detector (PULSE_WINDOW), in ms. */
  windowMs: number;
  /** The metric being edited; null to create one. */
  metric: EditedMetric | null;
  /** The metric's alert rule (the default rule for a new one): what a split's series start from. */
  rule: AlertRule;
  /** Set when the metric is a series of a split: the metric it follows (and is edited through). */
  parent?: { key: string; name: string } | null;
}

export function DefinitionForm({
  user,
  canEdit,
  catalog,
  windowMs,
  metric,
  rule,
  parent = null,
}: DefinitionFormProps) {
  const router = useRouter();
  const editing = metric !== null;
  const hasHistory = metric?.last != null;
  const [rescore, setRescore] = useState(true);
  /** Whether saving `definition` changes how stored values are computed. */
  const changes = (definition: DefinitionInput | null) =>
    metric !== null && definition !== null && changesValues(metric, definition);

  const form = useForm({
    initial: () => toValues(metric),
    validate: checkDefinition,
    disabled: !canEdit,
    invalidMessage: 'Check the highlighted fields.',
    onInvalid: (errors) => {
      const target = firstInvalid(form.values, { server: form.serverErrors, client: errors });
      if (target) document.getElementById(target)?.focus();
    },
    submit: (definition) =>
      metric !== null
        ? apiFetch<{ metric: { key: string } }>(`/api/metrics/${encodeURIComponent(metric.key)}`, {
            method: 'PATCH',
            body: JSON.stringify({
              definition,
              rescore: changes(definition) && hasHistory && rescore,
            }),
          })
        : apiFetch<{ metric: { key: string } }>('/api/metrics', {
            method: 'POST',
            body: JSON.stringify(definition),
          }),
    onSuccess: (data) => {
      router.push(`/metrics?saved=${encodeURIComponent(data.metric.key)}`);
      router.refresh();
    },
  });

  const { values } = form;
  const changed = changes(form.checked.value);

  return (
    <>
      <AppHeader user={user} />
      <main id="main" className="page">
        <nav className="breadcrumb" aria-label="Breadcrumb">
          <Link href="/metrics" className="link">
            ← All metrics
          </Link>
        </nav>
        <header className="detail-head">
          <p className="eyebrow">{editing ? 'Metric definition' : 'Metrics'}</p>
          <h1>
            {editing ? (
              <>
                {canEdit ? 'Edit ' : null}
                <EventText value={metric.name} />
              </>
            ) : (
              'New metric'
            )}
          </h1>
          {editing ? (
            <p className="muted">
              <code>{metric.key}</code> · <EventText value={summarizeDefinition(metric)} ltr /> ·{' '}
              <Link href={`/metrics/${encodeURIComponent(metric.key)}/thresholds`} className="link">
                Thresholds
              </Link>
            </p>
          ) : (
            <p className="muted">
              A metric is computed from the stored rollups every window and scored against its own
              recent history.
            </p>
          )}
        </header>

        <div className="rule-layout definition-layout">
          <section className="card" aria-labelledby="definition-heading">
            <h2 id="definition-heading">Definition</h2>
            {parent ? (
              <p className="notice" data-testid="read-only-note">
                This is one series of{' '}
                <Link href={`/metrics/${encodeURIComponent(parent.key)}/edit`} className="link">
                  <EventText value={parent.name} />
                </Link>
                , split by value: it follows that metric&rsquo;s definition and rule. Change them
                there.
              </p>
            ) : !canEdit ? (
              <p className="notice" data-testid="read-only-note">
                Only editors can change metric definitions.
              </p>
            ) : null}
            <form method="post" onSubmit={form.handleSubmit} noValidate className="definition-form">
              <fieldset disabled={!canEdit || form.pending}>
                <legend className="sr-only">Definition of the metric</legend>
                <IdentityPanel form={form} editing={editing} />
                <MeasurePanel form={form} catalog={catalog} />
                <FiltersPanel form={form} catalog={catalog} />
                <WindowPanel form={form} windowMs={windowMs} />
                <SplitPanel form={form} catalog={catalog} rule={rule} />

                {changed && hasHistory ? (
                  <div className="notice notice-warn" role="status" data-testid="history-warning">
                    <p>
                      This changes how the values are computed. Points already scored were computed
                      with the old definition.
                    </p>
                    <label className="checkbox">
                      <input
                        type="checkbox"
                        checked={rescore}
                        onChange={(e) => setRescore(e.target.checked)}
                      />{' '}
                      Re-score the last 24 h with the new definition
                    </label>
                  </div>
                ) : null}

                <div className="form-actions">
                  <button type="submit" className="button button-primary">
                    {form.pending ? 'Saving…' : editing ? 'Save changes' : 'Create metric'}
                  </button>
                  <Link href="/metrics" className="button button-ghost">
                    Cancel
                  </Link>
                </div>
              </fieldset>
              <div className="form-feedback">
                {form.formError ? (
                  <p role="alert" className="form-error" data-testid="form-error">
                    {form.formError}
                  </p>
                ) : null}
              </div>
            </form>
            <CatalogLists catalog={catalog} eventType={values.eventType} />
          </section>

          <PreviewPanel
            candidate={toCandidate(values)}
            valid={isSendable(form.checked)}
            kind={values.kind}
            unit={values.unit}
          />
        </div>
      </main>
    </>
  );
}
