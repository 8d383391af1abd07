/** Definitions in words, for lists and summaries. Plain text: render it as text. */
import type { MetricDefinition } from '@/lib/types';

/** Filters in words: "region is eu-west or us-east, and device is ios"; '' without filters. */
export function describeFilters(filters: Readonly<Record<string, readonly string[]>>): string {
  return Object.entries(filters)
    .map(([dim, values]) => {
      const list =
        values.length <= 1
          ? (values[0] ?? '')
          : `${values.slice(0, -1).join(', ')} or ${values.at(-1) ?? ''}`;
      return `${dim} is ${list}`;
    })
    .join(', and ');
}

/**
 * A definition in one line of words, e.g. "Count of purchase events where region is eu-west,
 * per 5 base windows". Plain text: render it as text.
 */
export function summarizeDefinition(
  def: Pick<
    MetricDefinition,
    | 'kind'
    | 'eventType'
    | 'extraEventTypes'
    | 'measure'
    | 'denominatorEventType'
    | 'filters'
    | 'windowMultiple'
    | 'exclude'
    | 'split'
  >,
): string {
  let text: string;
  switch (def.kind) {
    case 'count': {
      const types = [def.eventType, ...def.extraEventTypes];
      const list =
        types.length === 1 ? types[0] : `${types.slice(0, -1).join(', ')} and ${types.at(-1)}`;
      text = `Count of ${list} events`;
      break;
    }
    case 'sum':
      text = `Sum of ${def.measure ?? '?'} over ${def.eventType} events`;
      break;
    case 'avg':
      text = `Average ${def.measure ?? '?'} of ${def.eventType} events`;
      break;
    case 'ratio':
      text = `${def.eventType} events ÷ ${def.denominatorEventType ?? '?'} events`;
      break;
  }
  const filters = [
    describeFilters(def.filters),
    ...Object.entries(def.exclude ?? {}).map(
      ([dim, values]) => `${dim} is none of ${values.join(', ')}`,
    ),
  ]
    .filter((f) => f !== '')
    .join(', and ');
  if (filters) text += ` where ${filters}`;
  if (def.windowMultiple > 1) text += `, per ${def.windowMultiple} base windows`;
  if (def.split) {
    text += `; alerting per ${def.split.dim} (top ${def.split.topN} values and the rest)`;
  }
  return text;
}
