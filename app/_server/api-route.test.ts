import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import {
  ConflictError,
  ForbiddenError,
  InvalidInputError,
  NotFoundError,
  PayloadTooLargeError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
} from '@/lib/errors';
import { alertRuleShape, thresholdOrder, validateRule } from '@/lib/detection/rule';
import { validateDefinition } from '@/lib/metrics/definition';
import { DEFAULT_RULE } from '@/lib/types';
import {
  assertSameOrigin,
  DefinitionBody,
  errorResponse,
  parseBody,
  readJson,
  statusOf,
} from './api-route';

const Body = z.strictObject({
  name: z.string({ error: 'Give a name.' }),
  nested: z.strictObject({ x: z.number({ error: 'X is a number.' }) }).optional(),
});

/** The InvalidInputError that parseBody throws for `raw`. */
function refusal(schema: z.ZodType, raw: unknown, message = 'Check the request.') {
  try {
    parseBody(schema, raw, message);
  } catch (error) {
    if (error instanceof InvalidInputError) return { error: error.message, fields: error.fields };
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('strict bodies', () => {
  it('names a single unknown field in the message and in fields', () => {
    expect(refusal(Body, { name: 'a', evil: 1 })).toEqual({
      error: 'Unknown field: evil.',
      fields: { evil: 'Unknown field.' },
    });
  });

  it('lists several unknown fields, nested ones by their dotted path', () => {
    expect(refusal(Body, { name: 'a', evil: 1, nested: { x: 1, y: 2 } })).toEqual({
      error: 'Unknown fields: nested.y, evil.',
      fields: { evil: 'Unknown field.', 'nested.y': 'Unknown field.' },
    });
  });

  it("uses the route's message when other fields are wrong too, keeping every field", () => {
    expect(
      refusal(Body, { evil: 1, nested: { x: 'no' } }, 'Check the highlighted fields.'),
    ).toEqual({
      error: 'Check the highlighted fields.',
      fields: { name: 'Give a name.', 'nested.x': 'X is a number.', evil: 'Unknown field.' },
    });
  });

  it('says what a body that is not an object is', () => {
    expect(refusal(Body, [])).toEqual({
      error: 'The request body must be a JSON object, not an array.',
      fields: undefined,
    });
    expect(refusal(Body, null).error).toBe('The request body must be a JSON object, not null.');
    expect(refusal(Body, 'x').error).toBe('The request body must be a JSON object, not a string.');
  });

  it('passes what the schema makes of a good body', () => {
    expect(parseBody(Body, { name: 'a' }, 'x')).toEqual({ name: 'a' });
  });
});

describe('bodies composed from the domain validators', () => {
  const RuleBody = z
    .strictObject({ ...alertRuleShape, rescore: z.boolean().optional() })
    .check(thresholdOrder);

  it('a rule body reports the same field messages as validateRule', () => {
    const input = { ...DEFAULT_RULE, warnZ: 6, criticalZ: 4, minVolume: -1 };
    const checked = validateRule(input);
    expect(checked.ok).toBe(false);
    expect(refusal(RuleBody, input).fields).toEqual(checked.ok ? {} : checked.errors);
  });

  it('a definition body reports the same field messages as validateDefinition', () => {
    const input = { key: 'Bad Key', kind: 'sum', eventType: 'purchase', filters: { region: [] } };
    const checked = validateDefinition(input);
    expect(checked.ok).toBe(false);
    expect(refusal(DefinitionBody, input, 'Check the highlighted fields.')).toEqual({
      error: 'Check the highlighted fields.',
      fields: checked.ok ? {} : checked.errors,
    });
  });

  it('a definition body refuses unknown fields and normalises a good one', () => {
    const good = { key: 'eu', name: ' EU ', kind: 'count', eventType: 'purchase' };
    expect(refusal(DefinitionBody, { ...good, evil: true })).toEqual({
      error: 'Unknown field: evil.',
      fields: { evil: 'Unknown field.' },
    });
    const checked = validateDefinition(good);
    expect(parseBody(DefinitionBody, good, 'x')).toEqual(checked.ok && checked.definition);
  });
});

describe('typed errors → status', () => {
  it('maps each typed error to its status, in one place', () => {
    expect(statusOf(new InvalidInputError('x'))).toBe(400);
    expect(statusOf(new UnauthorizedError())).toBe(401);
    expect(statusOf(new ForbiddenError('x'))).toBe(403);
    expect(statusOf(new NotFoundError('x'))).toBe(404);
    expect(statusOf(new ConflictError('x'))).toBe(409);
    expect(statusOf(new PayloadTooLargeError())).toBe(413);
    expect(statusOf(new UnsupportedMediaTypeError())).toBe(415);
    expect(statusOf(new Error('x'))).toBeNull();
    expect(statusOf('thrown text')).toBeNull();
  });

  it('answers a typed error with its message and fields, without fields when it has none', async () => {
    const log = { error: vi.fn() };
    const conflict = errorResponse(new ConflictError('Only an open anomaly can be resolved.'), log);
    expect(conflict.status).toBe(409);
    expect(await conflict.json()).toEqual({ error: 'Only an open anomaly can be resolved.' });
    const invalid = errorResponse(new InvalidInputError('Check.', { name: 'Give a name.' }), log);
    expect(await invalid.json()).toEqual({ error: 'Check.', fields: { name: 'Give a name.' } });
    expect(invalid.headers.get('cache-control')).toBe('no-store');
    expect(log.error).not.toHaveBeenCalled();
  });

  it('answers anything else with a 500 that tells nothing, and logs it', async () => {
    const log = { error: vi.fn() };
    const internal = new Error('relation "metrics" does not exist');
    const response = errorResponse(internal, log);
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ error: 'Something went wrong on our side.' });
    expect(log.error).toHaveBeenCalledWith({ err: internal }, 'route handler failed');
  });
});

describe('requests', () => {
  const at = (headers: Record<string, string>, body?: string) =>
    new Request('http://pulse.test/api/x', { method: 'POST', headers, body });

  it('refuses mutations without a matching Origin (or Referer)', () => {
    const refused = (headers: Record<string, string>) => {
      try {
        assertSameOrigin(at(headers));
        return null;
      } catch (error) {
        return error instanceof ForbiddenError ? error.message : error;
      }
    };
    expect(refused({ host: 'pulse.test' })).toBe('Missing Origin header.');
    expect(refused({ host: 'pulse.test', origin: 'not a url' })).toBe('Bad Origin header.');
    expect(refused({ host: 'pulse.test', origin: 'https://evil.example' })).toBe(
      'Cross-site request refused.',
    );
    expect(refused({ host: 'pulse.test', origin: 'http://pulse.test' })).toBeNull();
    expect(refused({ host: 'pulse.test', referer: 'http://pulse.test/metrics' })).toBeNull();
  });

  it('compares scheme, host and port, and trusts the origin server.ts established', () => {
    const refused = (url: string, headers: Record<string, string>) => {
      try {
        assertSameOrigin(new Request(url, { method: 'POST', headers }));
        return null;
      } catch (error) {
        return error instanceof ForbiddenError ? error.message : error;
      }
    };
    const cross = 'Cross-site request refused.';
    // Over http, an https Origin with the same host is another origin (finding: accepted).
    expect(
      refused('http://127.0.0.1:3000/api/x', {
        host: '127.0.0.1:3000',
        origin: 'https://127.0.0.1:3000',
      }),
    ).toBe(cross);
    expect(
      refused('http://127.0.0.1:3000/api/x', {
        host: '127.0.0.1:3000',
        origin: 'http://127.0.0.1:3001',
      }),
    ).toBe(cross);
    expect(
      refused('http://127.0.0.1:3000/api/x', {
        host: '127.0.0.1:3000',
        origin: 'http://127.0.0.1:3000',
      }),
    ).toBeNull();
    // Behind a proxy: the origin server.ts set (PULSE_PUBLIC_URL) is the one compared.
    const proxied = { host: '10.0.0.5:3000', 'x-pulse-origin': 'https://pulse.example.com' };
    expect(
      refused('http://10.0.0.5:3000/api/x', { ...proxied, origin: 'https://pulse.example.com' }),
    ).toBeNull();
    expect(
      refused('http://10.0.0.5:3000/api/x', { ...proxied, origin: 'http://10.0.0.5:3000' }),
    ).toBe(cross);
    // A client's own X-Forwarded-Proto is not trusted without server.ts saying so.
    expect(
      refused('http://127.0.0.1:3000/api/x', {
        host: '127.0.0.1:3000',
        'x-forwarded-proto': 'https',
        origin: 'https://127.0.0.1:3000',
      }),
    ).toBe(cross);
  });

  it('reads JSON bodies of exactly application/json, within the byte limit', async () => {
    const json = { 'content-type': 'application/json' };
    const unsupported = new UnsupportedMediaTypeError('Send the body as application/json.');
    for (const type of [
      'text/plain',
      'text/plain; x=application/json',
      'application/json-patch+json',
      'application/jsonx',
      'application/json; charset=latin1',
      'multipart/form-data; boundary=application/json',
    ]) {
      await expect(readJson(at({ 'content-type': type }, '{}'))).rejects.toThrow(unsupported);
    }
    const tooLarge = new PayloadTooLargeError('The request body is larger than 16384 bytes.');
    await expect(readJson(at(json, `"${'x'.repeat(16_384)}"`))).rejects.toThrow(tooLarge);
    // Counted in bytes, not characters: 6,000 three-byte characters are 18,000 bytes.
    await expect(readJson(at(json, `"${'€'.repeat(6000)}"`))).rejects.toThrow(tooLarge);
    // A declared length over the limit is refused before anything is read.
    await expect(readJson(at({ ...json, 'content-length': '10485760' }, '{}'))).rejects.toThrow(
      tooLarge,
    );
    await expect(readJson(at(json, '{'))).rejects.toThrow(
      new InvalidInputError('The request body is not valid JSON.'),
    );
    expect(
      await readJson(at({ 'content-type': 'Application/JSON; charset="UTF-8"' }, '[1]')),
    ).toEqual([1]);
    expect(
      await readJson(at({ 'content-type': 'application/json; charset=utf-8' }, '[1]')),
    ).toEqual([1]);
  });

  it('stops reading a streamed body at the limit', async () => {
    let pulled = 0;
    const chunk = new Uint8Array(4096).fill(0x20);
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled += 1;
        controller.enqueue(chunk);
      },
    });
    const request = new Request('http://pulse.test/api/x', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      duplex: 'half',
    } as RequestInit);
    await expect(readJson(request)).rejects.toThrow(PayloadTooLargeError);
    // An endless body: read up to the limit (16 KB = 4 chunks, a fifth goes over), not forever.
    expect(pulled).toBeLessThanOrEqual(7);
  });

  it('refuses bytes that are not UTF-8', async () => {
    const request = new Request('http://pulse.test/api/x', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: new Uint8Array([0x22, 0xff, 0xfe, 0x22]),
    });
    await expect(readJson(request)).rejects.toThrow(
      new InvalidInputError('The request body is not valid UTF-8.'),
    );
  });
});
