/** When a window is anomalous: the z thresholds, the direction that counts, the minimum volume. */
import styles from '../rule-editor.module.css';
import { NumberField, SelectField, type RulePanelProps } from './fields';

export function ThresholdsPanel(props: RulePanelProps) {
  return (
    <>
      <h3 className={styles.group}>When a window is anomalous</h3>
      <NumberField
        {...props}
        name="warnZ"
        label="Warn z"
        hint="Alert as a warning when |z| reaches this."
        min={0.1}
        max={1000}
        step={0.1}
        decimal
      />
      <NumberField
        {...props}
        name="criticalZ"
        label="Critical z"
        hint="Critical when |z| reaches this; above the warn level."
        min={0.1}
        max={1000}
        step={0.1}
        decimal
      />
      <SelectField
        {...props}
        name="direction"
        label="Direction"
        hint="Which deviations alert: rises, drops, or both."
        options={['both', 'up', 'down']}
      />
      <NumberField
        {...props}
        name="minVolume"
        label="Minimum volume"
        hint="Windows with fewer events than this never alert."
        min={0}
        max={1_000_000_000}
        step={1}
      />
    </>
  );
}
