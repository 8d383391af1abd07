import { RoutesBody } from '@/lib/alerts/notify/settings-input';
import { listRoutes } from '@/db/queries/notify-settings';
import { route } from '@/app/_server/api-route';
import { saveRoutes } from '@/app/_server/use-cases/save-routes';

export const dynamic = 'force-dynamic';

/** The routes in the order routing tries them: provisioned ones first (admins only). */
export const GET = route({ role: 'admin' }, async ({ db }) => ({ routes: await listRoutes(db) }));

/**
 * Replaces the routes set in the browser, in order (admins only): `{ routes: [{ name?, match:
 * { minSeverity?, metrics?, cause? }, channels, continue? }], defaultChannels? }`. Provisioned
 * routes stay. `{ routes, channels }` as saved.
 */
export const PUT = route(
  { role: 'admin', body: RoutesBody, invalid: 'Check the highlighted routes.' },
  async ({ db, log, now, user, body }) =>
    saveRoutes({ db, log, now }, { actor: user, routing: body }),
);
