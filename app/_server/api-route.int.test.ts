/**
 * Route handlers called as Next calls them, with plain `Request`s, against a real PostgreSQL:
 * the route helper's checks (session, role, origin, strict bodies) and the use cases' NOTIFY,
 * queued in their transaction and so delivered only after the commit, never after a rollback.
 */
import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '@/lib/auth/password';
import { parseConfig } from '@/lib/config/schema';
import { createLogger } from '@/lib/observability/log';
import { DEFAULT_RULE, type AlertRule } from '@/lib/types';
import type { Db } from '@/db/client';
import { createApiKey, revokeApiKey } from '@/db/queries/api-keys';
import { createSession, createUser } from '@/db/queries/auth';
import { ensureDefaultMetrics, getMetric, getMetricByKey } from '@/db/queries/metrics';
import { CHANNEL, parseNotice, type PulseNotice } from '@/db/queries/notify';
import { metrics } from '@/db/schema';
import { createTestDatabase, type TestDatabase } from '@/db/testing/test-db';
import { POST as login } from '@/app/api/auth/login/route';
import { GET as board } from '@/app/api/board/route';
import { PATCH as patchMetric } from '@/app/api/metrics/[key]/route';
import { PUT as putRule } from '@/app/api/metrics/[key]/rule/route';
import { route } from './api-route';
import { registerWeb } from './context';
import { SESSION_COOKIE } from './headers';
import { saveRule } from '@/app/_server/use-cases/save-rule';

const ORIGIN = 'http://pulse.test';

let t: TestDatabase;
let viewer: string;
let editor: string;
let editorId: number;
let purchasesId: number;

/** Registers the web context with `db` (the test database, or a wrapper of it). */
function useDb(db: Db) {
  registerWeb({
    db,
    sql: t.sql,
    log: createLogger('test', 'silent'),
    config: parseConfig({ DATABASE_URL: t.url, PULSE_WINDOW: '1m' }),
  });
}

beforeAll(async () => {
  t = await createTestDatabase();
  await ensureDefaultMetrics(t.db);
  purchasesId = (await getMetricByKey(t.db, 'purchases'))!.id;
  const v = await createUser(t.db, { username: 'vera', passwordHash: 'x', role: 'viewer' });
  const e = await createUser(t.db, { username: 'eddie', passwordHash: 'x', role: 'editor' });
  editorId = e.id;
  viewer = await createSession(t.db, v.id, 60_000);
  editor = await createSession(t.db, e.id, 60_000);
  useDb(t.db);
});
afterEach(() => useDb(t.db));
afterAll(() => t.drop());

function request(
  path: string,
  init: { method?: string; session?: string; origin?: string; body?: unknown } = {},
) {
  const headers: Record<string, string> = { host: 'pulse.test' };
  if (init.session) headers.cookie = `other=1; ${SESSION_COOKIE}=${init.session}`;
  if (init.origin) headers.origin = init.origin;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  return new Request(`${ORIGIN}${path}`, {
    method: init.method ?? 'GET',
    headers,
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
}

const params = <T extends Record<string, string>>(values: T) => ({
  params: Promise.resolve(values),
});
const purchases = params({ key: 'purchases' });

const rule: AlertRule = { ...DEFAULT_RULE, warnZ: 3.5, criticalZ: 6 };

/** Collects the notices on the channel while `run` runs and shortly after. */
async function heardDuring(run: (heard: PulseNotice[]) => Promise<void>): Promise<PulseNotice[]> {
  const heard: PulseNotice[] = [];
  const listener = await t.sql.listen(CHANNEL, (payload) => {
    const notice = parseNotice(payload);
    if (notice) heard.push(notice);
  });
  try {
    await run(heard);
    await new Promise((resolve) => setTimeout(resolve, 200));
    return heard;
  } finally {
    await listener.unlisten();
  }
}

describe('the route helper', () => {
  it('answers 401 to anonymous requests', async () => {
    const response = await board(request('/api/board'));
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: 'Sign in first.' });
  });

  it('reads the session from the Cookie header', async () => {
    const response = await board(request('/api/board', { session: viewer }));
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const body = (await response.json()) as { metrics: { key: string }[] };
    expect(body.metrics.map((m) => m.key)).toContain('purchases');
  });

  it('answers 403 to a viewer asking for a mutation, before reading the body', async () => {
    const response = await putRule(
      request('/api/metrics/purchases/rule', {
        method: 'PUT',
        session: viewer,
        origin: ORIGIN,
        body: { warnZ: 50 },
      }),
      purchases,
    );
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({ error: 'This needs the editor role.' });
  });

  it('answers 403 to a mutation from another origin, signed in or not', async () => {
    for (const session of [editor, undefined]) {
      const response = await putRule(
        request('/api/metrics/purchases/rule', {
          method: 'PUT',
          ...(session ? { session } : {}),
          origin: 'https://evil.example',
          body: rule,
        }),
        purchases,
      );
      expect(response.status).toBe(403);
      expect(await response.json()).toEqual({ error: 'Cross-site request refused.' });
    }
  });

  it('answers 400 naming an unknown field, and writes nothing', async () => {
    const heard = await heardDuring(async () => {
      const response = await putRule(
        request('/api/metrics/purchases/rule', {
          method: 'PUT',
          session: editor,
          origin: ORIGIN,
          body: { ...rule, evil: true },
        }),
        purchases,
      );
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({
        error: 'Unknown field: evil.',
        fields: { evil: 'Unknown field.' },
      });
    });
    expect(heard).toEqual([]);
    expect((await getMetric(t.db, purchasesId))!.warnZ).toBe(DEFAULT_RULE.warnZ);
  });

  it('keeps the field messages of the rule form', async () => {
    const response = await putRule(
      request('/api/metrics/purchases/rule', {
        method: 'PUT',
        session: editor,
        origin: ORIGIN,
        body: { ...rule, criticalZ: 2, consecutiveWindows: 0, rescore: 'yes' },
      }),
      purchases,
    );
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error: 'Check the highlighted fields.',
      fields: {
        consecutiveWindows: 'Consecutive windows must be between 1 and 60.',
        rescore: 'Re-score must be true or false.',
        criticalZ: 'Critical z must be at least the warn z (3.5).',
      },
    });
  });

  it('answers 404 for an unknown metric', async () => {
    const response = await putRule(
      request('/api/metrics/nope/rule', {
        method: 'PUT',
        session: editor,
        origin: ORIGIN,
        body: rule,
      }),
      params({ key: 'nope' }),
    );
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: 'No such metric.' });
  });

  it('signs in publicly, with a strict body, and sets the session cookie', async () => {
    const extra = await login(
      request('/api/auth/login', {
        method: 'POST',
        origin: ORIGIN,
        body: { username: 'x', password: 'y', remember: true },
      }),
    );
    expect(extra.status).toBe(400);
    expect(await extra.json()).toEqual({
      error: 'Unknown field: remember.',
      fields: { remember: 'Unknown field.' },
    });
    const wrong = await login(
      request('/api/auth/login', {
        method: 'POST',
        origin: ORIGIN,
        body: { username: 'nobody', password: 'secret' },
      }),
    );
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({ error: 'Wrong username or password.' });

    await createUser(t.db, {
      username: 'sam',
      passwordHash: await hashPassword('a long password'),
      role: 'viewer',
    });
    const signedIn = await login(
      request('/api/auth/login', {
        method: 'POST',
        origin: ORIGIN,
        body: { username: 'sam', password: 'a long password' },
      }),
    );
    expect(signedIn.status).toBe(200);
    expect(await signedIn.json()).toEqual({ user: { username: 'sam', role: 'viewer' } });
    const cookie = signedIn.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(new RegExp(`^${SESSION_COOKIE}=[^;]+;`));
    expect(cookie.toLowerCase()).toContain('httponly');
    const token = /^[^=]+=([^;]+)/.exec(cookie)![1]!;
    expect((await board(request('/api/board', { session: token }))).status).toBe(200);
  });
});

describe('API keys, on the routes that opt in (`apiKey: true`)', () => {
  /** Answers who made the request, as the handler sees it. */
  const whoami = route({ role: 'editor', apiKey: true }, ({ actor, user }) =>
    Promise.resolve({ actor, user }),
  );
  /** The same without the opt-in. */
  const sessionOnly = route({ role: 'viewer' }, ({ actor, user }) =>
    Promise.resolve({ actor, user }),
  );
  const withKey = (key: string, init: { session?: string; origin?: string } = {}) => {
    const request = new Request(`${ORIGIN}/api/whoami`, {
      method: 'POST',
      headers: {
        host: 'pulse.test',
        authorization: `Bearer ${key}`,
        ...(init.origin ? { origin: init.origin } : {}),
        ...(init.session ? { cookie: `${SESSION_COOKIE}=${init.session}` } : {}),
      },
    });
    return request;
  };

  it('hands the handler the key as its actor, and no user, from any origin', async () => {
    const { key, secret } = await createApiKey(t.db, { name: 'deploy-bot', createdBy: null });
    for (const origin of [undefined, 'https://ci.example']) {
      const response = await whoami(withKey(secret, { ...(origin ? { origin } : {}) }));
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({
        actor: { kind: 'api-key', keyId: key.id, name: 'deploy-bot' },
        user: null,
      });
    }
  });

  it('hands a cookie session its user as the actor, held to our origin', async () => {
    const response = await whoami(
      request('/api/whoami', { method: 'POST', session: editor, origin: ORIGIN }),
    );
    expect(await response.json()).toEqual({
      actor: { kind: 'user', id: editorId, username: 'eddie', role: 'editor' },
      user: { id: editorId, username: 'eddie', role: 'editor' },
    });
    const foreign = await whoami(
      request('/api/whoami', { method: 'POST', session: editor, origin: 'https://ci.example' }),
    );
    expect(foreign.status).toBe(403);
  });

  it('refuses a revoked key with 401 and a Bearer challenge, even beside a valid cookie', async () => {
    const { key, secret } = await createApiKey(t.db, { name: 'gone', createdBy: null });
    await revokeApiKey(t.db, key.id, null);
    const response = await whoami(withKey(secret, { session: editor, origin: ORIGIN }));
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
    expect(await response.json()).toEqual({ error: 'This API key was revoked.' });
  });

  it('leaves the routes without the opt-in as they were: the key is ignored', async () => {
    const { secret } = await createApiKey(t.db, { name: 'ignored', createdBy: null });
    const anonymous = await sessionOnly(withKey(secret, { origin: ORIGIN }));
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBeNull();
    expect(await anonymous.json()).toEqual({ error: 'Sign in first.' });
    const signedIn = await sessionOnly(withKey(secret, { session: viewer, origin: ORIGIN }));
    expect(signedIn.status).toBe(200);
    expect(await signedIn.json()).toMatchObject({ actor: { kind: 'user', username: 'vera' } });
    // And the origin check still applies.
    expect((await sessionOnly(withKey(secret, { origin: 'https://ci.example' }))).status).toBe(403);
  });

  it('takes no keys on a public route', () => {
    expect(() => route({ role: 'public', apiKey: true }, () => Promise.resolve({}))).toThrow(
      /public route/,
    );
  });
});

describe('use cases send their NOTIFY in their transaction', () => {
  it('a rule save is heard only after its commit, when the new rule is readable', async () => {
    // A database whose transactions linger between their last statement and COMMIT.
    let heardBeforeCommit: number | null = null;
    let heardRef: PulseNotice[] = [];
    const lingering = new Proxy(t.db, {
      get(target, property, receiver) {
        if (property !== 'transaction') return Reflect.get(target, property, receiver);
        const transaction: Db['transaction'] = (work, config) =>
          target.transaction(async (tx) => {
            const result = await work(tx);
            await new Promise((resolve) => setTimeout(resolve, 300));
            heardBeforeCommit = heardRef.length;
            return result;
          }, config);
        return transaction;
      },
    });
    useDb(lingering);

    const seenAtDelivery: number[] = [];
    const heard = await heardDuring(async (list) => {
      heardRef = list;
      const response = await putRule(
        request('/api/metrics/purchases/rule', {
          method: 'PUT',
          session: editor,
          origin: ORIGIN,
          body: { ...rule, rescore: false },
        }),
        purchases,
      );
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ rule, rescoreFrom: null });
      await expect.poll(() => list.length).toBe(1);
      // What the relay would read on delivery (another connection): the committed rule.
      seenAtDelivery.push((await getMetric(t.db, purchasesId))!.warnZ);
    });
    expect(heardBeforeCommit).toBe(0);
    expect(heard).toEqual([{ kind: 'rule', metricId: purchasesId }]);
    expect(seenAtDelivery).toEqual([rule.warnZ]);
  });

  it('a rolled-back save sends nothing and changes nothing', async () => {
    const before = (await getMetric(t.db, purchasesId))!;
    const failing = new Proxy(t.db, {
      get(target, property, receiver) {
        if (property !== 'transaction') return Reflect.get(target, property, receiver);
        const transaction: Db['transaction'] = (work, config) =>
          target.transaction(async (tx) => {
            await work(tx);
            throw new Error('the commit fails');
          }, config);
        return transaction;
      },
    });
    const heard = await heardDuring(async () => {
      await expect(
        saveRule(
          { db: failing, log: createLogger('test', 'silent'), now: Date.now },
          {
            key: 'purchases',
            rule: { ...rule, warnZ: 4.5 },
            rescore: false,
            user: { id: editorId, username: 'eddie', role: 'editor' },
            baseWindowMs: 60_000,
          },
        ),
      ).rejects.toThrow('the commit fails');
    });
    expect(heard).toEqual([]);
    const [after] = await t.db.select().from(metrics).where(eq(metrics.id, purchasesId));
    expect(after!.warnZ).toBe(before.warnZ);
  });

  it('a definition change or pause is heard as a metric notice', async () => {
    const heard = await heardDuring(async () => {
      const pause = await patchMetric(
        request('/api/metrics/purchases', {
          method: 'PATCH',
          session: editor,
          origin: ORIGIN,
          body: { enabled: false },
        }),
        purchases,
      );
      expect(pause.status).toBe(200);
      expect(((await pause.json()) as { metric: { enabled: boolean } }).metric.enabled).toBe(false);
    });
    expect(heard).toEqual([{ kind: 'metric', metricId: purchasesId }]);

    const renamed = await patchMetric(
      request('/api/metrics/purchases', {
        method: 'PATCH',
        session: editor,
        origin: ORIGIN,
        body: {
          definition: { key: 'purchases', name: '', kind: 'count', eventType: 'purchase' },
        },
      }),
      purchases,
    );
    expect(renamed.status).toBe(400);
    expect(await renamed.json()).toEqual({
      error: 'Check the highlighted fields.',
      fields: { name: 'Give the metric a name.' },
    });

    const rekeyed = await patchMetric(
      request('/api/metrics/purchases', {
        method: 'PATCH',
        session: editor,
        origin: ORIGIN,
        body: {
          definition: { key: 'other', name: 'Purchases', kind: 'count', eventType: 'purchase' },
        },
      }),
      purchases,
    );
    expect(rekeyed.status).toBe(400);
    expect(await rekeyed.json()).toEqual({
      error: 'Check the highlighted fields.',
      fields: { key: 'The key cannot change after the metric is created.' },
    });
  });
});
