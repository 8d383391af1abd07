import { liveMetrics } from '@/app/_server/metrics-endpoint';
import { route } from '@/app/_server/api-route';

export const dynamic = 'force-dynamic';

/**
 * The live figures of the Health page, for signed-in users: the same metrics as `/metrics`
 * (this web process merged with fresh worker snapshots), summed up — throughput, flush
 * latency, lags per partition, buffers, quarantine by reason, socket connections.
 */
export const GET = route({ role: 'viewer' }, ({ sql }) => liveMetrics(sql));
