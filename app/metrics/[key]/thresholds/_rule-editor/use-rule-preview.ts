/** The server's answer to "what would this rule have done over the stored history?". */
import { useEffect, useState } from 'react';
import type { RulePreview } from '@/lib/detection/rule-preview';
import { apiFetch } from '@/app/_lib/api';

export type PreviewState =
  | { status: 'idle' }
  | { status: 'loading'; key: string; last: RulePreview | null }
  | { status: 'ready'; key: string; data: RulePreview }
  | { status: 'error'; key: string; error: string; last: RulePreview | null };

const PREVIEW_DEBOUNCE_MS = 400;

/** The latest answer, kept on screen while the next one is on its way or failed. */
export function lastPreview(state: PreviewState): RulePreview | null {
  if (state.status === 'ready') return state.data;
  if (state.status === 'idle') return null;
  return state.last;
}

/**
 * Asks the server what `ruleJson` would have done over the stored history, debounced, the
 * older request cancelled when the rule changes again. `savedJson` and `attempt` are part of
 * the key: a new saved rule changes the comparison, and a retry asks again.
 */
export function useRulePreview(
  metricKey: string,
  ruleJson: string | null,
  savedJson: string,
  attempt: number,
  enabled: boolean,
): { state: PreviewState; key: string | null } {
  const key = ruleJson === null ? null : `${ruleJson}|${savedJson}|${attempt}`;
  const [state, setState] = useState<PreviewState>({ status: 'idle' });
  useEffect(() => {
    if (!enabled || ruleJson === null || key === null) return;
    const controller = new AbortController();
    const timer = setTimeout(() => {
      setState((s) => ({ status: 'loading', key, last: lastPreview(s) }));
      void apiFetch<RulePreview>(`/api/metrics/${encodeURIComponent(metricKey)}/preview`, {
        method: 'POST',
        body: JSON.stringify({ rule: JSON.parse(ruleJson) as unknown }),
        signal: controller.signal,
      }).then((result) => {
        if (controller.signal.aborted) return;
        setState((s) =>
          result.ok
            ? { status: 'ready', key, data: result.data }
            : { status: 'error', key, error: result.error, last: lastPreview(s) },
        );
      });
    }, PREVIEW_DEBOUNCE_MS);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [enabled, metricKey, ruleJson, key]);
  return { state, key };
}
