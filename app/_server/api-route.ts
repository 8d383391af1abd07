/**
 * The one way to write a route handler (app/api/**\/route.ts):
 *
 *   export const PUT = route(
 *     { role: 'editor', params: MetricKeyParams, body: RuleBody, invalid: 'Check the fields.' },
 *     ({ params, body, user, db, log, now }) => saveRule({ db, log, now }, { … }),
 *   );
 *
 * (`role: 'public'` for sign-in and sign-out, which read no session.) Reads call a query
 * (db/queries) and return its result; writes call a use case (./use-cases), which owns its
 * transaction and its NOTIFY.
 *
 * In this order, before the handler runs: a mutation (any method but GET and HEAD) must come from
 * our own origin; the session (read from the request's Cookie header, so a test can call the
 * handler with a plain `Request`) must have the role; path params, query and JSON body are
 * parsed with zod. Bodies are strict: an unknown field is a 400 that names it, so a client's typo
 * is not silently ignored. The handler answers with data (sent as JSON, never cached) or with a
 * Response of its own. Whatever it throws is mapped here, in one place: the typed errors of
 * lib/errors.ts to their status and message, anything else to a 500 that is logged with the
 * process logger and tells the client nothing about our internals.
 *
 * **API keys** (`apiKey: true`, opt-in per route; e.g. POST /api/annotations from a deploy
 * script): a request with `Authorization: Bearer …` is then authenticated by that key instead —
 * verified as POST /api/ingest verifies one (./http-ingest.ts `verifyApiKey`: a malformed,
 * unknown or revoked key is a 401 with ingest's messages), whatever the route's role, and the
 * handler gets `actor: { kind: 'api-key', keyId, name }` and no `user`. Such a request skips the
 * origin check: it carries its credential in a header no other site can make a browser send
 * (no cookie is involved), so there is no CSRF to refuse. A request without a Bearer header
 * (other schemes, such as a proxy's Basic credentials, included) is a cookie session as
 * anywhere else, origin check and all. Routes without `apiKey` ignore the header, as they
 * always did: a key there authenticates nothing (401 without a session).
 */
import { z } from 'zod';
import type { Config } from '@/lib/config/schema';
import { DEFINITION_FIELDS, metricDefinitionSchema } from '@/lib/metrics/definition';
import {
  ConflictError,
  ForbiddenError,
  InvalidInputError,
  NotFoundError,
  PayloadTooLargeError,
  PulseError,
  TooManyRequestsError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
  type FieldErrors,
} from '@/lib/errors';
import { parseBearer } from '@/lib/ingest/http-body';
import type { Logger } from '@/lib/observability/log';
import { findAllUnsafeText, unsafeTextMessage, type TextRules } from '@/lib/text/input';
import type { Db, Sql } from '@/db/client';
import { decodeSegment, parseId } from '@/app/_lib/ids';
import { webContext } from './context';
import { isSameOrigin, requestOrigin } from './headers';
import { API_KEY_REFUSED, verifyApiKey } from './http-ingest';
import { MAX_JSON_BODY_BYTES } from './raw-http';
import { hasRole, requestUser, type Role, type SessionUser } from './session';

/** Who may call a route: anyone (sign-in), or a signed-in user with at least this role. */
export type Access = 'public' | Role;

/** A signed-in user, as the handler's `actor`. */
export interface UserActor extends SessionUser {
  kind: 'user';
}

/** An API key (a machine client), on routes that take them (`apiKey: true`). */
export interface ApiKeyActor {
  kind: 'api-key';
  keyId: number;
  name: string;
}

/** Who makes a request: a signed-in user, or (on routes that take them) an API key. */
export type Actor = UserActor | ApiKeyActor;

type Schema = z.ZodType | undefined;
type Parsed<S extends Schema> = S extends z.ZodType ? z.output<S> : undefined;

export interface RouteSpec<
  A extends Access,
  B extends Schema,
  P extends Schema,
  Q extends Schema,
  K extends boolean = false,
> {
  role: A;
  /**
   * Also let an API key (`Authorization: Bearer pk_…`) make the request, whatever `role` says,
   * without the origin check (see the module comment). Not for public routes.
   */
  apiKey?: K;
  /** The JSON body; give a strict object schema (unknown fields are then refused). */
  body?: B;
  /** The path's dynamic segments; a segment the schema refuses is a 404 with its message. */
  params?: P;
  /** The query string (first value of each name); a refusal is a 400. */
  query?: Q;
  /** The message of a 400 for a body the schema refuses (`fields` say which fields and why). */
  invalid?: string;
  /**
   * Which body fields may hold line breaks (`multiline`: a note) or are not text to check at
   * all (`exempt`: passwords, never stored, shown or logged). Every other text of the body, its
   * field names, query values and path segments are refused with control characters, bidi
   * controls or lone surrogates in them (lib/text/input.ts).
   */
  text?: TextRules;
}

export interface RouteInput<
  A extends Access,
  B extends Schema,
  P extends Schema,
  Q extends Schema,
  K extends boolean = false,
> {
  request: Request;
  body: Parsed<B>;
  params: Parsed<P>;
  query: Parsed<Q>;
  /**
   * The signed-in user; public routes do not read the session. Null on a route that takes API
   * keys when a key made the request.
   */
  user: A extends 'public' ? null : K extends true ? SessionUser | null : SessionUser;
  /** Who makes the request: the user, or on a route that takes them, an API key. */
  actor: A extends 'public' ? null : K extends true ? Actor : UserActor;
  db: Db;
  sql: Sql;
  config: Config;
  /** The process logger, with the request's method and path. */
  log: Logger;
  now: () => number;
}

/** What Next passes a route handler besides the request (params of dynamic segments). */
export interface RouteContext {
  params: Promise<Record<string, string | string[] | undefined>>;
}

/** JSON responses are never cached: they carry per-user, live data. */
export const NO_STORE = { 'cache-control': 'no-store' } as const;

/** The largest JSON body a route reads, in bytes (also enforced in server.ts, before Next). */
export const MAX_BODY_BYTES = MAX_JSON_BODY_BYTES;

/** A JSON response that is never cached. */
export function json(data: unknown, init: { status?: number } = {}): Response {
  return Response.json(data, { status: init.status ?? 200, headers: NO_STORE });
}

export function route<
  A extends Access,
  B extends Schema = undefined,
  P extends Schema = undefined,
  Q extends Schema = undefined,
  K extends boolean = false,
>(
  spec: RouteSpec<A, B, P, Q, K>,
  handler: (input: RouteInput<A, B, P, Q, K>) => Promise<Response | object>,
): (request: Request, context?: RouteContext) => Promise<Response> {
  if (spec.apiKey && spec.role === 'public') {
    throw new Error('A public route cannot take API keys: it reads no credentials.');
  }
  type Input = RouteInput<A, B, P, Q, K>;
  return async (request, context) => {
    const web = webContext();
    const log = web.log.child({ method: request.method, path: pathOf(request) });
    try {
      const key = spec.apiKey ? bearerKey(request) : null;
      let user: SessionUser | null = null;
      let actor: Actor | null = null;
      if (key !== null) {
        // Bearer-authenticated: no cookie is read, so no origin check (see the module comment).
        actor = await authorizeKey(web, key);
        log.debug({ keyId: actor.keyId }, 'request authenticated by API key');
      } else {
        if (request.method !== 'GET' && request.method !== 'HEAD') assertSameOrigin(request);
        if (spec.role !== 'public') {
          user = await authorize(web.db, request, spec.role);
          actor = { kind: 'user', ...user };
        }
      }
      // A route that reads no body takes none: what a client sent would be silently ignored.
      if (!spec.body && hasBody(request))
        throw new InvalidInputError('This request takes no body.');
      // A route without dynamic segments gets no params (undefined) from Next.
      const rawParams = (context ? await context.params : undefined) ?? {};
      assertSafeParams(rawParams);
      const params = spec.params ? parseParams(spec.params, rawParams) : undefined;
      assertSafeQuery(request);
      const query = spec.query ? parseQuery(spec.query, request) : undefined;
      let body: unknown;
      if (spec.body) {
        let raw: unknown;
        try {
          raw = await readJson(request);
        } catch (error) {
          // The client gave up on the request (a preview typed past): nobody reads an answer.
          if (request.signal.aborted || (error instanceof Error && error.message === 'aborted')) {
            return new Response(null, { status: 499 });
          }
          throw error;
        }
        assertSafeText(raw, spec.text);
        body = parseBody(spec.body, raw, spec.invalid ?? 'Check the request.');
      }
      const result = await handler({
        request,
        // The casts restate what the parse just established: undefined exactly when no schema.
        body: body as Parsed<B>,
        params: params as Parsed<P>,
        query: query as Parsed<Q>,
        user: user as Input['user'],
        actor: actor as Input['actor'],
        db: web.db,
        sql: web.sql,
        config: web.config,
        log,
        now: Date.now,
      });
      return result instanceof Response ? result : json(result);
    } catch (error) {
      const response = errorResponse(error, log);
      // RFC 6750: a 401 of a route that takes keys names the scheme it takes.
      if (spec.apiKey && response.status === 401)
        response.headers.set('www-authenticate', 'Bearer');
      return response;
    }
  };
}

/**
 * On a route that takes API keys: the key of an `Authorization: Bearer …` header; null when the
 * request has no Bearer header (a cookie session). A Bearer header that holds no key is a 401
 * with ingest's message, never a fall-back to the cookie.
 */
function bearerKey(request: Request): string | null {
  const header = request.headers.get('authorization');
  if (header === null || !/^Bearer(?:[ \t]|$)/i.test(header)) return null;
  const key = parseBearer(header);
  if (!key) throw new UnauthorizedError(API_KEY_REFUSED.missing);
  return key;
}

/** The API key `secret`, verified as POST /api/ingest verifies one; a 401 when refused. */
async function authorizeKey(
  web: { db: Db; log: Pick<Logger, 'debug'> },
  secret: string,
): Promise<ApiKeyActor> {
  const checked = await verifyApiKey(web, secret, Date.now());
  if (!checked.ok) throw new UnauthorizedError(checked.message);
  return { kind: 'api-key', keyId: checked.key.id, name: checked.key.name };
}

/** True when the request declares a body (a length above 0, or chunked). */
function hasBody(request: Request): boolean {
  const length = request.headers.get('content-length');
  if (length !== null) return Number(length) > 0;
  return request.headers.has('transfer-encoding');
}

function pathOf(request: Request): string {
  try {
    return new URL(request.url).pathname;
  } catch {
    return request.url;
  }
}

/**
 * Refuses cross-site mutations: the Origin (or Referer) must be our origin, scheme, host and
 * port (PULSE_PUBLIC_URL behind a proxy; see headers.ts). With the SameSite=Lax session cookie
 * this closes CSRF for JSON mutations.
 */
export function assertSameOrigin(request: Request): void {
  const expected = requestOrigin(request);
  const origin = request.headers.get('origin') ?? request.headers.get('referer');
  if (!expected || !origin) throw new ForbiddenError('Missing Origin header.');
  if (!URL.canParse(origin)) throw new ForbiddenError('Bad Origin header.');
  if (!isSameOrigin(origin, expected)) throw new ForbiddenError('Cross-site request refused.');
}

/** The signed-in user with at least `role`, or a 401 (nobody) or 403 (role too low). */
async function authorize(db: Db, request: Request, role: Role): Promise<SessionUser> {
  const user = await requestUser(db, request);
  if (!user) throw new UnauthorizedError();
  if (!hasRole(user, role)) throw new ForbiddenError(`This needs the ${role} role.`);
  return user;
}

/**
 * True for `application/json`, with at most a `charset=utf-8` parameter: the exact media type,
 * not a header that merely contains it (`text/plain; x=application/json`).
 */
export function isJsonContentType(header: string | null): boolean {
  if (!header) return false;
  const [type, ...params] = header.split(';').map((part) => part.trim().toLowerCase());
  if (type !== 'application/json') return false;
  return params.every((param) => /^charset=(?:"utf-8"|utf-8)$/.test(param) || param === '');
}

/**
 * Reads a JSON body: the wrong content type (415), more than `maxBytes` (413, declared or
 * counted while the body streams: reading stops at the limit), bytes that are not UTF-8 or no
 * JSON (400) are refused.
 */
export async function readJson(request: Request, maxBytes = MAX_BODY_BYTES): Promise<unknown> {
  if (!isJsonContentType(request.headers.get('content-type'))) {
    throw new UnsupportedMediaTypeError();
  }
  const tooLarge = () =>
    new PayloadTooLargeError(`The request body is larger than ${maxBytes} bytes.`);
  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > maxBytes) throw tooLarge();
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (request.body) {
    const reader = request.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel().catch(() => undefined);
        throw tooLarge();
      }
      chunks.push(value);
    }
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw new InvalidInputError('The request body is not valid UTF-8.');
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new InvalidInputError('The request body is not valid JSON.');
  }
}

/**
 * Refuses a body with unsafe text (lib/text/input.ts) before any schema or query sees it: a 400
 * naming every such field, so that no NUL reaches PostgreSQL (a 500) and no line break a log.
 */
export function assertSafeText(raw: unknown, rules: TextRules = {}): void {
  const unsafe = findAllUnsafeText(raw, rules);
  if (unsafe.length === 0) return;
  const fields: FieldErrors = {};
  for (const { path, message } of unsafe) fields[path] = message;
  const first = unsafe[0]!;
  throw new InvalidInputError(
    unsafe.length === 1
      ? `${first.path}: ${first.message}`
      : 'Some fields hold characters that are not allowed.',
    fields,
  );
}

/** A path segment with unsafe text names nothing that exists (404), whatever the route. */
function assertSafeParams(raw: Record<string, string | string[] | undefined>): void {
  for (const value of Object.values(raw)) {
    for (const segment of Array.isArray(value) ? value : [value ?? '']) {
      let decoded = segment;
      try {
        decoded = decodeURIComponent(segment);
      } catch {
        // Not an escape sequence: checked as it is.
      }
      if (unsafeTextMessage(decoded) || unsafeTextMessage(segment))
        throw new NotFoundError('Not found.');
    }
  }
}

/** Query values and names with unsafe text: a 400 naming the parameter. */
function assertSafeQuery(request: Request): void {
  const fields: FieldErrors = {};
  for (const [name, value] of new URL(request.url).searchParams) {
    const message = unsafeTextMessage(name) ?? unsafeTextMessage(value);
    if (message) fields[unsafeTextMessage(name) ? 'query' : name] ??= message;
  }
  if (Object.keys(fields).length > 0) throw new InvalidInputError('Bad query parameters.', fields);
}

/** Parses a body; a refusal becomes a 400 with one message per field (see {@link bodyError}). */
export function parseBody<S extends z.ZodType>(schema: S, raw: unknown, message: string) {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  throw bodyError(result.error.issues, raw, message);
}

/** A field's name in `fields`: its path, dotted (`filters.region`); `body` for the whole. */
const fieldName = (path: readonly PropertyKey[]) => path.map(String).join('.') || 'body';

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  return typeof value === 'string' ? 'a string' : `a ${typeof value}`;
}

/**
 * The 400 for a body the schema refused: the first message per field, keyed as the browser's
 * forms key their fields; unknown fields as `Unknown field.`, and named in the message when
 * they are all that is wrong. A body that is not an object at all says so.
 */
export function bodyError(
  issues: readonly z.core.$ZodIssue[],
  raw: unknown,
  message: string,
): InvalidInputError {
  const notObject = issues.some(
    (issue) =>
      issue.code === 'invalid_type' && issue.path.length === 0 && issue.expected === 'object',
  );
  if (notObject) {
    return new InvalidInputError(`The request body must be a JSON object, not ${describe(raw)}.`);
  }
  const fields: FieldErrors = {};
  const unknown: string[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const name = fieldName([...issue.path, key]);
        unknown.push(name);
        fields[name] ??= 'Unknown field.';
      }
    } else {
      fields[fieldName(issue.path)] ??= issue.message;
    }
  }
  const onlyUnknown = issues.every((issue) => issue.code === 'unrecognized_keys');
  if (onlyUnknown && unknown.length > 0) {
    const list = unknown.join(', ');
    return new InvalidInputError(
      unknown.length === 1 ? `Unknown field: ${list}.` : `Unknown fields: ${list}.`,
      fields,
    );
  }
  return new InvalidInputError(message, fields);
}

/** Path params: a segment the schema refuses names nothing that exists (404). */
function parseParams<S extends z.ZodType>(schema: S, raw: unknown): z.output<S> {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  throw new NotFoundError(result.error.issues[0]?.message ?? 'Not found.');
}

/** The query string, first value of each name, parsed by `schema` (a refusal is a 400). */
function parseQuery<S extends z.ZodType>(schema: S, request: Request): z.output<S> {
  const values: Record<string, string> = {};
  for (const [name, value] of new URL(request.url).searchParams) values[name] ??= value;
  const result = schema.safeParse(values);
  if (result.success) return result.data;
  const fields: FieldErrors = {};
  for (const issue of result.error.issues) fields[fieldName(issue.path)] ??= issue.message;
  throw new InvalidInputError('Bad query parameters.', fields);
}

/** The HTTP status of a typed error; null for anything else (an internal failure). */
export function statusOf(error: unknown): number | null {
  if (!(error instanceof PulseError)) return null;
  if (error instanceof InvalidInputError) return 400;
  if (error instanceof UnauthorizedError) return 401;
  if (error instanceof ForbiddenError) return 403;
  if (error instanceof NotFoundError) return 404;
  if (error instanceof ConflictError) return 409;
  if (error instanceof PayloadTooLargeError) return 413;
  if (error instanceof UnsupportedMediaTypeError) return 415;
  if (error instanceof TooManyRequestsError) return 429;
  return null;
}

/** The one mapping of what a handler threw to a response; internal failures are logged. */
export function errorResponse(error: unknown, log: Pick<Logger, 'error'>): Response {
  const status = statusOf(error);
  if (status !== null && error instanceof PulseError) {
    const response = json(
      { error: error.message, ...(error.fields ? { fields: error.fields } : {}) },
      { status },
    );
    if (error instanceof TooManyRequestsError) {
      response.headers.set('retry-after', String(error.retryAfterSeconds));
    }
    return response;
  }
  log.error({ err: error }, 'route handler failed');
  return json({ error: 'Something went wrong on our side.' }, { status: 500 });
}

/** The `[key]` segment of /api/metrics/[key]/…: the metric's key, decoded. */
export const MetricKeyParams = z.object({ key: z.string().transform(decodeSegment) });

/** An `[id]` segment: a positive integer, else a 404 with `message`. */
function idParams(message: string) {
  return z.object({
    id: z.string().transform((raw, ctx) => {
      const id = parseId(raw);
      if (id === null) {
        ctx.addIssue({ code: 'custom', message });
        return z.NEVER;
      }
      return id;
    }),
  });
}

/** The `[id]` segment of /api/anomalies/[id]/…: a positive integer, else no such anomaly. */
export const AnomalyIdParams = idParams('No such anomaly.');

/** The `[id]` segment of /api/incidents/[id]/…: a positive integer, else no such incident. */
export const IncidentIdParams = idParams('No such incident.');

/** The `[id]` segment of /api/annotations/[id]: a positive integer, else no such annotation. */
export const AnnotationIdParams = idParams('No such annotation.');

/**
 * Continues a parse with `schema`, its issues kept with their paths: for validators that take
 * `unknown` (zod's `pipe` types the next schema's input as the last one's output).
 */
export function parseOn<T>(schema: z.ZodType<T>) {
  return (value: unknown, ctx: z.core.$RefinementCtx): T => {
    const result = schema.safeParse(value);
    if (result.success) return result.data;
    for (const issue of result.error.issues) {
      ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
    }
    return z.NEVER;
  };
}

/**
 * A metric definition's fields, values unchecked: the strict part of a definition body (unknown
 * fields refused). Continue it with the definition rules of lib/metrics/definition.ts
 * ({@link DefinitionBody}), which stay the one source of the messages the form shows.
 */
export const DefinitionFields = z.strictObject(
  Object.fromEntries(DEFINITION_FIELDS.map((field) => [field, z.unknown().optional()])),
);

/** A whole definition as created: its fields, then the definition rules. */
export const DefinitionBody = DefinitionFields.transform(parseOn(metricDefinitionSchema));
