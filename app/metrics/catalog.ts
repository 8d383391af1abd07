import type { MetricCatalog } from '@/lib/views';
import { metricCatalog } from '@/db/queries/definition-preview';
import { webContext } from '@/app/_server/context';

/** How far back the form's suggestions look. */
const CATALOG_SPAN_MS = 6 * 3_600_000;

/** Event types, measures and dimension values seen lately, for the form's suggestions. */
export async function loadCatalog(): Promise<MetricCatalog> {
  return metricCatalog(webContext().db, Date.now() - CATALOG_SPAN_MS);
}
