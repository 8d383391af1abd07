/** The reserved names of rollups (re-exported by ./rollup.ts, where they are mostly read). */

/** Value that dimension values beyond the cardinality limit fold into. */
export const OTHER_VALUE = '(other)';

/** Measure name of the event count row. */
export const COUNT_MEASURE = '';
