/**
 * Runs in the browser before the app's own code (Next.js's instrumentation-client convention).
 *
 * zod compiles object parsers with `new Function` and, the first time it builds an object
 * schema, probes whether it may with `Function('')`. Under the pages' Content-Security-Policy
 * (no 'unsafe-eval' outside development: app/_server/security-headers.ts) the probe throws; zod
 * catches it and parses without the compiled fast path, but the browser has already reported a
 * `securitypolicyviolation`. `jitless` skips the probe, so a report means a real attempt. The
 * server is unaffected: this file never runs there, and zod keeps its compiled parsers.
 */
import { z } from 'zod';

z.config({ jitless: true });
