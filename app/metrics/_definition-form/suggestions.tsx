/** Suggestions from the catalog of recent events: quick picks under a field, and datalists. */
import type { MetricCatalog } from '@/lib/views';
import { EventText } from '../../_components/event-text';
import { revealControls } from '../../_lib/format';
import { measuresOf } from './values';

const UNITS = ['%', 'ms', '$'];

/** Quick picks shown as small buttons under a field. */
export function Suggestions({
  label,
  options,
  onPick,
}: {
  label: string;
  options: string[];
  onPick: (value: string) => void;
}) {
  if (options.length === 0) return null;
  return (
    <div className="suggestions" role="group" aria-label={label}>
      {options.map((option) => (
        <button
          key={option}
          type="button"
          className="suggestion"
          aria-label={revealControls(`${label}: ${option}`)}
          onClick={() => onPick(option)}
        >
          <EventText value={option} />
        </button>
      ))}
    </div>
  );
}

/** The datalists the form's inputs name with `list`: event types, measures, dimensions, units. */
export function CatalogLists({
  catalog,
  eventType,
}: {
  catalog: MetricCatalog;
  /** The event type chosen so far: once it is a known one, only its measures are offered. */
  eventType: string;
}) {
  return (
    <>
      <datalist id="event-type-options">
        {catalog.eventTypes.map((t) => (
          <option key={t.type} value={t.type} />
        ))}
      </datalist>
      <datalist id="measure-options">
        {measuresOf(catalog, eventType).map((m) => (
          <option key={m} value={m} />
        ))}
      </datalist>
      <datalist id="dimension-options">
        {catalog.dimensions.map((d) => (
          <option key={d.dim} value={d.dim} />
        ))}
      </datalist>
      <datalist id="unit-options">
        {UNITS.map((u) => (
          <option key={u} value={u} />
        ))}
      </datalist>
    </>
  );
}
