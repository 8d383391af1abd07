/** The expected value: which baseline, over how many windows, its season and σ floor. */
import type { SeasonDecision } from '@/lib/detection/auto-season';
import { ZonedTime } from '@/app/_components/zoned-time';
import styles from '../rule-editor.module.css';
import { NumberField, SelectField, type RulePanelProps } from './fields';

const BASELINE_OPTIONS = [
  { value: 'auto', label: 'Automatic (daily or weekly season)' },
  { value: 'rolling', label: 'Rolling' },
  { value: 'robust', label: 'Robust' },
  { value: 'seasonal', label: 'Seasonal' },
];

/** What the detector last found in the metric's history, and when. */
function DetectedSeason({ detected }: { detected: SeasonDecision }) {
  if (detected.checkedAt === null) {
    return (
      <p className="hint" data-testid="detected-season">
        Not checked yet: the detector looks at the metric&rsquo;s last 4 weeks shortly after saving,
        and again every 6 hours. Until then the baseline is robust.
      </p>
    );
  }
  return (
    <p className="hint" data-testid="detected-season">
      {detected.season === 'day'
        ? 'Detected: a daily season in the metric’s last 4 weeks. Each window is compared with the same time on earlier days.'
        : detected.season === 'week'
          ? 'Detected: a weekly season in the metric’s last 4 weeks. Each window is compared with the same time in earlier weeks.'
          : 'No daily or weekly season detected in the metric’s stored history (up to 4 weeks; a daily season needs 2 days of it, a weekly one 2 weeks). Scored with the robust baseline.'}{' '}
      Checked at <ZonedTime ms={detected.checkedAt} />.
    </p>
  );
}

export function BaselinePanel({
  unit,
  detected,
  ...props
}: RulePanelProps & { unit: string; detected?: SeasonDecision }) {
  const { baseline } = props.form.values;
  return (
    <>
      <h3 className={styles.group}>Expected value</h3>
      <SelectField
        {...props}
        name="baseline"
        label="Baseline"
        hint="Automatic: seasonal when the metric's own history shows a strong daily or weekly shape, robust otherwise. Rolling: mean and σ of earlier windows. Robust: median and MAD, so one odd window barely moves it. Seasonal: the same time on earlier days or weeks (rolling until 3 of them exist)."
        options={BASELINE_OPTIONS}
        after={baseline === 'auto' && detected ? <DetectedSeason detected={detected} /> : null}
      />
      <NumberField
        {...props}
        name="baselineWindows"
        label="Baseline windows"
        hint="How many earlier windows the expected value is learned from (3–1000)."
        min={3}
        max={1000}
        step={1}
      />
      {/* Only the seasonal baseline reads the season; the automatic one finds its own. */}
      {baseline === 'seasonal' ? (
        <SelectField
          {...props}
          name="season"
          label="Season"
          hint="Compare with the same time of day, or of the week."
          options={['day', 'week']}
        />
      ) : null}
      <NumberField
        {...props}
        name="sigmaFloor"
        label="σ floor"
        hint={
          <>
            Smallest σ used, in the metric&rsquo;s unit
            {unit ? ` (${unit})` : ''}; 0 for none. The window&rsquo;s own sampling noise is always
            a floor.
          </>
        }
        min={0}
        step={0.01}
        decimal
      />
    </>
  );
}
