import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { overlaps, type AnnotationInput } from '@/lib/annotations/annotation';
import { createTestDatabase, type TestDatabase } from '@/db/testing/test-db';
import { annotations } from '@/db/schema';
import {
  annotationsBetween,
  deleteAnnotation,
  getAnnotation,
  insertAnnotation,
  type AnnotationWriter,
} from './annotations';
import { createApiKey } from './api-keys';
import { createUser, deleteUser } from './auth';

const T = Date.UTC(2026, 11, 1);
const MIN = 60_000;
const DAY = 24 * 60 * MIN;

let t: TestDatabase;
let by: AnnotationWriter;

beforeAll(async () => {
  t = await createTestDatabase();
  by = {
    userId: (await createUser(t.db, { username: 'ed', passwordHash: 'x', role: 'editor' })).id,
  };
});
afterAll(() => t.drop());

const add = (fields: Partial<AnnotationInput> & { startsAt: number }, writer = by) =>
  insertAnnotation(t.db, {
    title: 'mark',
    text: '',
    endsAt: null,
    metrics: [],
    tags: [],
    ...fields,
    by: writer,
    now: new Date(T),
  });

const titles = async (from: number, to: number, metricKey?: string) =>
  (
    await annotationsBetween(t.db, { from: new Date(from), to: new Date(to), metricKey })
  ).annotations
    .map((a) => a.title)
    .sort();

describe('annotationsBetween', () => {
  it('finds instants inside the range and spans that intersect it, ends included', async () => {
    await t.db.delete(annotations);
    const from = T + 60 * MIN;
    const to = T + 120 * MIN;
    const marks = [
      { title: 'instant before', startsAt: from - 1 },
      { title: 'instant at from', startsAt: from },
      { title: 'instant inside', startsAt: from + 30 * MIN },
      { title: 'instant at to', startsAt: to },
      { title: 'instant after', startsAt: to + 1 },
      { title: 'span before', startsAt: from - 50 * MIN, endsAt: from - 1 },
      { title: 'span ending at from', startsAt: from - 50 * MIN, endsAt: from },
      { title: 'span into', startsAt: from - 50 * MIN, endsAt: from + 10 * MIN },
      { title: 'span within', startsAt: from + 10 * MIN, endsAt: from + 20 * MIN },
      { title: 'span out of', startsAt: to - 10 * MIN, endsAt: to + 50 * MIN },
      { title: 'span around', startsAt: from - 29 * DAY, endsAt: to + 12 * 60 * MIN },
      // The longest span, ending at from: the earliest start a read must still look at.
      { title: 'longest span', startsAt: from - 30 * DAY, endsAt: from },
      { title: 'longest span before', startsAt: from - 30 * DAY - 1, endsAt: from - 1 },
      { title: 'span after', startsAt: to + 1, endsAt: to + 50 * MIN },
    ];
    for (const mark of marks) await add(mark);
    const expected = marks
      .filter((mark) =>
        overlaps({ startsAt: mark.startsAt, endsAt: mark.endsAt ?? null }, from, to),
      )
      .map((mark) => mark.title)
      .sort();
    expect(expected).toEqual(
      [
        'instant at from',
        'instant inside',
        'instant at to',
        'span ending at from',
        'span into',
        'span within',
        'span out of',
        'span around',
        'longest span',
      ].sort(),
    );
    expect(await titles(from, to)).toEqual(expected);
    // A range of one instant.
    expect(await titles(from, from)).toEqual(
      ['instant at from', 'span ending at from', 'span into', 'span around', 'longest span'].sort(),
    );
  });

  it('for a metric: those naming it and those naming none', async () => {
    await t.db.delete(annotations);
    await add({ title: 'all', startsAt: T });
    await add({ title: 'purchases', startsAt: T, metrics: ['purchases'] });
    await add({ title: 'both', startsAt: T, metrics: ['signups', 'purchases'] });
    await add({ title: 'signups', startsAt: T, metrics: ['signups'] });
    expect(await titles(T, T, 'purchases')).toEqual(['all', 'both', 'purchases']);
    expect(await titles(T, T, 'signups')).toEqual(['all', 'both', 'signups']);
    expect(await titles(T, T, 'nothing')).toEqual(['all']);
    expect(await titles(T, T)).toEqual(['all', 'both', 'purchases', 'signups']);
  });

  it('answers newest first, capped, and says when it cut', async () => {
    await t.db.delete(annotations);
    for (let i = 0; i < 5; i++) await add({ title: `m${i}`, startsAt: T + i * MIN });
    const range = { from: new Date(T), to: new Date(T + DAY) };
    const all = await annotationsBetween(t.db, range);
    expect(all.annotations.map((a) => a.title)).toEqual(['m4', 'm3', 'm2', 'm1', 'm0']);
    expect(all.truncated).toBe(false);
    const cut = await annotationsBetween(t.db, { ...range, limit: 3 });
    expect(cut.annotations.map((a) => a.title)).toEqual(['m4', 'm3', 'm2']);
    expect(cut.truncated).toBe(true);
    expect((await annotationsBetween(t.db, { ...range, limit: 5 })).truncated).toBe(false);
    // The ceiling holds whatever is asked.
    expect((await annotationsBetween(t.db, { ...range, limit: 10_000 })).annotations).toHaveLength(
      5,
    );
  });
});

describe('writing annotations', () => {
  it('stores every field and names its author, user or key, until it is deleted', async () => {
    const made = await add({
      title: 'Deploy',
      text: 'two\nlines',
      startsAt: T,
      endsAt: T + MIN,
      metrics: ['purchases'],
      tags: ['deploy'],
    });
    expect(made).toEqual({
      id: made.id,
      startsAt: T,
      endsAt: T + MIN,
      title: 'Deploy',
      text: 'two\nlines',
      metrics: ['purchases'],
      tags: ['deploy'],
      author: { kind: 'user', username: 'ed' },
      createdAt: T,
    });
    const { key } = await createApiKey(t.db, { name: 'ci', createdBy: null });
    const byKey = await add({ startsAt: T }, { apiKeyId: key.id });
    expect(byKey.author).toEqual({ kind: 'api-key', name: 'ci' });

    const gone = await createUser(t.db, { username: 'gone', passwordHash: 'x', role: 'editor' });
    const orphan = await add({ startsAt: T }, { userId: gone.id });
    await deleteUser(t.db, gone.id);
    expect((await getAnnotation(t.db, orphan.id))!.author).toBeNull();

    expect(await deleteAnnotation(t.db, made.id)).toBe(true);
    expect(await getAnnotation(t.db, made.id)).toBeNull();
    expect(await deleteAnnotation(t.db, made.id)).toBe(false);
  });

  it('the table refuses a span over 30 days, an end before the start, and two authors', async () => {
    const { key } = await createApiKey(t.db, { name: 'both', createdBy: null });
    const userId = 'userId' in by ? by.userId : 0;
    const insert = (values: Partial<typeof annotations.$inferInsert>) =>
      t.db.insert(annotations).values({ startsAt: new Date(T), title: 'x', ...values });
    await expect(insert({ endsAt: new Date(T + 30 * DAY + 1) })).rejects.toThrow();
    await expect(insert({ endsAt: new Date(T - 1) })).rejects.toThrow();
    await expect(insert({ createdBy: userId, apiKeyId: key.id })).rejects.toThrow();
    await expect(insert({ endsAt: new Date(T + 30 * DAY) })).resolves.toBeDefined();
  });
});
