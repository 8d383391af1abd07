/**
 * The end of the rule form: the re-score choice, Save and Discard (inside the form's fieldset,
 * so they are disabled with it), and what the last save did.
 */
import { TimeAgo } from '@/app/_components/time-ago';
import { formatDateTime } from '@/app/_lib/format';
import styles from '../rule-editor.module.css';

/** A successful save; `rescoreFrom` when stored history is being re-scored from then on. */
export interface SaveNote {
  rescoreFrom: number | null;
}

export function SaveActions({
  canEdit,
  rescore,
  onRescore,
  pending,
  dirty,
  onDiscard,
}: {
  canEdit: boolean;
  rescore: boolean;
  onRescore: (rescore: boolean) => void;
  pending: boolean;
  dirty: boolean;
  onDiscard: () => void;
}) {
  return (
    <>
      {canEdit ? (
        <div className={styles.check}>
          <input
            id="rescore"
            type="checkbox"
            checked={rescore}
            onChange={(e) => onRescore(e.target.checked)}
            aria-describedby="rescore-hint"
          />
          <label htmlFor="rescore">Re-score stored history with the new settings</label>
          <p id="rescore-hint" className="hint">
            The detector re-scores the windows the preview covers, so anomalies that would not open
            with these settings do not linger.
          </p>
        </div>
      ) : null}
      <div className="form-actions">
        <button type="submit" className="button button-primary">
          {pending ? 'Saving…' : 'Save'}
        </button>
        {dirty ? (
          <button type="button" className="button button-ghost" onClick={onDiscard}>
            Discard changes
          </button>
        ) : null}
      </div>
    </>
  );
}

export function SaveFeedback({
  formError,
  saved,
  ruleUpdatedAt,
}: {
  formError: string | null;
  saved: SaveNote | null;
  ruleUpdatedAt: number | null;
}) {
  return (
    <>
      <div className="form-feedback">
        {formError ? (
          <p role="alert" className="form-error" data-testid="form-error">
            {formError}
          </p>
        ) : null}
        <p role="status" className="form-success" data-testid="save-status">
          {saved
            ? saved.rescoreFrom !== null
              ? `Saved. Applies from the next window; stored windows from ${formatDateTime(saved.rescoreFrom)} on will be re-scored.`
              : 'Saved. Applies from the next window.'
            : ''}
        </p>
      </div>
      <p id="rule-help" className="muted small">
        Changes apply from the next scored window; past windows keep their status unless stored
        history is re-scored.
        {ruleUpdatedAt !== null ? (
          <>
            {' '}
            Last changed <TimeAgo ms={ruleUpdatedAt} />.
          </>
        ) : null}
      </p>
    </>
  );
}
