/** Hysteresis: how many anomalous windows open an anomaly, and how many normal ones resolve it. */
import { MAX_CONSECUTIVE, MAX_RESOLVE_AFTER } from '@/lib/detection/rule';
import styles from '../rule-editor.module.css';
import { NumberField, type RulePanelProps } from './fields';

export function HysteresisPanel(props: RulePanelProps) {
  return (
    <>
      <h3 className={styles.group}>Anomalies</h3>
      <NumberField
        {...props}
        name="consecutiveWindows"
        label="Consecutive windows"
        hint={`Warn-level windows in a row before an anomaly opens (1–${MAX_CONSECUTIVE}); it then covers all of them. A critical window opens one at once.`}
        min={1}
        max={MAX_CONSECUTIVE}
        step={1}
      />
      <NumberField
        {...props}
        name="resolveAfter"
        label="Resolve after"
        hint={`Normal windows in a row after which an open anomaly resolves itself (1–${MAX_RESOLVE_AFTER}). A shorter dip keeps it open.`}
        min={1}
        max={MAX_RESOLVE_AFTER}
        step={1}
      />
    </>
  );
}
