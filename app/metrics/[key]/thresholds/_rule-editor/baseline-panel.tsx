/** The expected value: which baseline, over how many windows, its season and σ floor. */
import styles from '../rule-editor.module.css';
import { NumberField, SelectField, type RulePanelProps } from './fields';

export function BaselinePanel({ unit, ...props }: RulePanelProps & { unit: string }) {
  const seasonal = props.form.values.baseline === 'seasonal';
  return (
    <>
      <h3 className={styles.group}>Expected value</h3>
      <SelectField
        {...props}
        name="baseline"
        label="Baseline"
        hint="Rolling: mean and σ of earlier windows. Robust: median and MAD, so one odd window barely moves it. Seasonal: the same time on earlier days or weeks (rolling until 3 of them exist)."
        options={['rolling', 'robust', 'seasonal']}
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
      <SelectField
        {...props}
        name="season"
        label="Season"
        hint={
          seasonal
            ? 'Compare with the same time of day, or of the week.'
            : 'Used by the seasonal baseline only.'
        }
        options={['day', 'week']}
      />
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
