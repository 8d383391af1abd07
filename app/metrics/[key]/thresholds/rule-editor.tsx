'use client';
/**
 * A metric's alert rule: the panels of ./_rule-editor/ on one useForm, and beside them what the
 * edited rule would have done to the stored history. Live: new windows arrive over the socket,
 * and a rule another person saves replaces the form's values unless this one has edits.
 */
import Link from 'next/link';
import { parentKeyOf } from '@/lib/metrics/split';
import { useState } from 'react';
import type { SeasonDecision } from '@/lib/detection/auto-season';
import type { SavedRule } from '@/lib/detection/rule-preview';
import type { AlertRule, MetricDefinition } from '@/lib/types';
import type { BoardPoint } from '@/lib/views';
import type { HeaderUser } from '@/app/_components/app-header';
import { DetailPage } from '@/app/_components/detail-page';
import { EventText } from '@/app/_components/event-text';
import { apiFetch } from '@/app/_lib/api';
import { mergePoints } from '@/app/_lib/board-state';
import { useForm } from '@/app/_lib/use-form';
import { usePulseSocket } from '@/app/_lib/use-pulse-socket';
import { BaselinePanel } from './_rule-editor/baseline-panel';
import { describeDefinition } from './_rule-editor/describe-definition';
import { HysteresisPanel } from './_rule-editor/hysteresis-panel';
import { RulePreviewPanel } from './_rule-editor/preview-panel';
import { SaveActions, SaveFeedback, type SaveNote } from './_rule-editor/save-bar';
import { ThresholdsPanel } from './_rule-editor/thresholds-panel';
import {
  RULE_FIELDS,
  checkRule,
  sameValues,
  toValues,
  type RuleField,
} from './_rule-editor/values';

export interface RulePageData {
  metric: MetricDefinition;
  rule: AlertRule;
  /** The season the detector last found in the metric's history, for the automatic baseline. */
  season: SeasonDecision;
  ruleUpdatedAt: number | null;
  points: BoardPoint[];
  windowMs: number;
}

/** The time of a save (called from event handlers, never during render). */
function currentTime(): number {
  return Date.now();
}

export function RuleEditor({
  data,
  user,
  canEdit,
}: {
  data: RulePageData;
  user: HeaderUser;
  canEdit: boolean;
}) {
  const { metric, windowMs } = data;
  const [savedRule, setSavedRule] = useState<AlertRule>(data.rule);
  const [saved, setSaved] = useState<SaveNote | null>(null);
  const [rescore, setRescore] = useState(false);
  const [remoteChange, setRemoteChange] = useState(false);
  const [points, setPoints] = useState<BoardPoint[]>(data.points);
  const [ruleUpdatedAt, setRuleUpdatedAt] = useState<number | null>(data.ruleUpdatedAt);

  const form = useForm({
    initial: () => toValues(data.rule),
    validate: checkRule,
    disabled: !canEdit,
    onInvalid: (errors) => {
      const first = RULE_FIELDS.find((f) => errors[f]);
      if (first) document.getElementById(first)?.focus();
    },
    submit: (rule) =>
      apiFetch<SavedRule>(`/api/metrics/${encodeURIComponent(metric.key)}/rule`, {
        method: 'PUT',
        body: JSON.stringify({ ...rule, rescore }),
      }),
    onSuccess: (result) => {
      setSavedRule(result.rule);
      setRemoteChange(false);
      setSaved({ rescoreFrom: rescore ? result.rescoreFrom : null });
      setRescore(false);
      setRuleUpdatedAt(currentTime());
      return toValues(result.rule);
    },
  });
  const dirty = !sameValues(form.values, toValues(savedRule));

  const connection = usePulseSocket('board', {
    points: (update) => {
      const mine = update.points.filter((p) => p.metricId === metric.id);
      if (mine.length > 0) setPoints((list) => mergePoints(list, mine, windowMs));
    },
    rule: (update) => {
      if (update.metricId !== metric.id) return;
      if (sameValues(toValues(update.rule), toValues(savedRule))) return;
      setSavedRule(update.rule);
      setRuleUpdatedAt(currentTime());
      if (dirty) setRemoteChange(true);
      else form.setValues(() => toValues(update.rule));
    },
  });

  function change(field: RuleField, value: string) {
    form.set(field, value);
    setSaved(null);
  }

  function reset() {
    form.reset(toValues(savedRule));
    setRemoteChange(false);
  }

  const panel = { form, change };
  return (
    <DetailPage user={user} connection={connection}>
      <header className="detail-head">
        <p className="eyebrow">Thresholds</p>
        <h1 data-testid="metric-name">
          <EventText value={metric.name} />
        </h1>
        <p className="muted" data-testid="metric-definition">
          {describeDefinition(metric)}
          {metric.unit ? (
            <>
              {' '}
              Unit: <EventText value={metric.unit} />.
            </>
          ) : null}
          {!metric.enabled ? ' Scoring is paused for this metric.' : null}
        </p>
      </header>

      <div className="rule-layout">
        <section className="card" aria-labelledby="rule-heading">
          <h2 id="rule-heading">Alert rule</h2>
          {data.metric.series ? (
            <p className="notice" data-testid="read-only-note">
              This is one series of a split metric: its thresholds are the split metric&rsquo;s,
              raised for the number of series so that the split raises no more false alerts than one
              metric. Change them on{' '}
              <Link
                href={`/metrics/${encodeURIComponent(parentKeyOf(data.metric.key))}/thresholds`}
                className="link"
              >
                the split metric
              </Link>
              .
            </p>
          ) : !canEdit ? (
            <p className="notice" data-testid="read-only-note">
              Only editors can change thresholds.
            </p>
          ) : null}
          {remoteChange ? (
            <p className="notice notice-warn" role="status">
              Someone else changed these thresholds while you were editing.{' '}
              <button type="button" className="button-link" onClick={reset}>
                Load their values
              </button>
            </p>
          ) : null}
          <form
            method="post"
            onSubmit={(event) => {
              if (canEdit && !form.pending) setSaved(null);
              form.handleSubmit(event);
            }}
            noValidate
            className="rule-form"
            aria-describedby="rule-help"
          >
            <fieldset disabled={!canEdit || form.pending}>
              <legend className="sr-only">
                Thresholds for <EventText value={metric.name} />
              </legend>
              <ThresholdsPanel {...panel} />
              <BaselinePanel {...panel} unit={metric.unit} detected={data.season} />
              <HysteresisPanel {...panel} />
              <SaveActions
                canEdit={canEdit}
                rescore={rescore}
                onRescore={setRescore}
                pending={form.pending}
                dirty={dirty}
                onDiscard={reset}
              />
            </fieldset>
            <SaveFeedback formError={form.formError} saved={saved} ruleUpdatedAt={ruleUpdatedAt} />
          </form>
        </section>

        <RulePreviewPanel
          metric={metric}
          windowMs={windowMs}
          points={points}
          candidate={form.checked.value}
          savedRule={savedRule}
          dirty={dirty}
          seasonal={form.values.baseline === 'seasonal'}
          auto={form.values.baseline === 'auto'}
          canEdit={canEdit}
        />
      </div>
    </DetailPage>
  );
}
