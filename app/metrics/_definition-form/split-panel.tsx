/**
 * Alert per value: the dimension a metric is split by for alerting, how many of its values get
 * a series of their own, and what that costs — how many series at most, and the thresholds
 * each series alerts at so that the split raises no more false alerts than one metric.
 */
import type { MetricCatalog } from '@/lib/views';
import { splitSeriesRule } from '@/lib/detection/split-rule';
import { SPLIT_LIMITS } from '@/lib/metrics/split';
import type { AlertRule } from '@/lib/types';
import { Field } from '../../_components/form-field';
import { EventText } from '../../_components/event-text';
import { Suggestions } from './suggestions';
import type { DefinitionFormModel } from './values';

export function SplitPanel({
  form,
  catalog,
  rule,
}: {
  form: DefinitionFormModel;
  catalog: MetricCatalog;
  /** The metric's alert rule (the default rule for a new metric). */
  rule: AlertRule;
}) {
  const { values, errorFor, fieldProps } = form;
  const set = (field: 'splitDim' | 'splitTopN', value: string) =>
    form.edit(
      (v) => ({ ...v, [field]: value }),
      (key) => key === 'split',
    );
  const dim = values.splitDim.trim();
  const topN = Number(values.splitTopN);
  const valid = Number.isInteger(topN) && topN >= 1 && topN <= SPLIT_LIMITS.maxTopN;
  const series = splitSeriesRule(rule, topN + 1);
  const known = catalog.dimensions.find((d) => d.dim === dim)?.values.length ?? null;
  const dims = catalog.dimensions.map((d) => d.dim).filter((d) => d !== dim);
  const error = errorFor('split');
  return (
    <fieldset className="split" aria-describedby="split-hint">
      <legend>Alert per value</legend>
      <p id="split-hint" className="hint">
        Optional. Each of the top values of a dimension, by volume, gets its own baseline and alerts
        (e.g. purchases per region); the rest share one series, &ldquo;other&rdquo;. The
        metric&rsquo;s total is scored as before.
      </p>
      <div className="field-pair">
        <Field
          id="splitDim"
          label="Split by dimension"
          hint="Empty: alert on the total only."
          error={error}
        >
          <input
            {...fieldProps('split', 'splitDim')}
            value={values.splitDim}
            list="dimension-options"
            autoComplete="off"
            placeholder="none"
            onChange={(e) => set('splitDim', e.target.value)}
          />
        </Field>
        <Field
          id="splitTopN"
          label="Values with their own series"
          hint={`From 1 to ${SPLIT_LIMITS.maxTopN}.`}
          error={undefined}
        >
          <input
            id="splitTopN"
            name="splitTopN"
            type="number"
            inputMode="numeric"
            min={1}
            max={SPLIT_LIMITS.maxTopN}
            step={1}
            value={values.splitTopN}
            disabled={!dim}
            aria-invalid={Boolean(error) && dim !== '' && !valid}
            onChange={(e) => set('splitTopN', e.target.value)}
          />
        </Field>
      </div>
      {!dim ? (
        <Suggestions
          label="Split by"
          options={dims.slice(0, 8)}
          onPick={(d) => set('splitDim', d)}
        />
      ) : valid ? (
        <p className="muted small" data-testid="split-summary" aria-live="polite">
          At most {topN + 1} series: the top {topN} values of <EventText value={dim} />
          {known !== null ? ` (${known} seen recently)` : ''} and &ldquo;other&rdquo;. Each alerts
          at |z| ≥ {series.warnZ} (warn) and {series.criticalZ} (critical) instead of {rule.warnZ}{' '}
          and {rule.criticalZ}, so that the split together raises no more false alerts than one
          metric. A value gets its series when it first ranks in the top {topN}, and learns its
          baseline from then on.
        </p>
      ) : null}
    </fieldset>
  );
}
