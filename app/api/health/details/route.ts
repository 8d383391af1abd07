import { loadHealth } from '@/db/queries/health';
import { route } from '@/app/_server/api-route';

export const dynamic = 'force-dynamic';

/**
 * Pipeline health for operators: accounting per partition, quarantine counts by reason and the
 * newest quarantined events. (`/api/health` itself is server.ts's unauthenticated liveness probe.)
 */
export const GET = route({ role: 'viewer' }, ({ db }) => loadHealth(db));
