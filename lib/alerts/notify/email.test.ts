import { describe, expect, it } from 'vitest';
import { SUBJECT_MAX, emailMessage, escapeHtml } from './email';
import { HOSTILE_VALUES, T0, anomaly, incidentSnapshot } from './testing';
import type { IncidentSnapshot } from './types';

const email = (
  incident: IncidentSnapshot = incidentSnapshot(),
  kind: 'open' | 'resolve' = 'open',
) => emailMessage({ kind, key: 'pulse-42-1-open', createdAt: T0, incident });

/** Text the HTML shows, tags removed (what a reader sees, escapes still in). */
const outsideTags = (html: string) => html.replace(/<[^>]*>/g, '');

describe('emailMessage', () => {
  it('subject, text and HTML say what happened, with a link', () => {
    const m = email();
    expect(m.subject).toBe(
      '[Pulse] CRITICAL Opened: region=eu-west: Purchases −58%, Revenue −62%, Conversion −8 pts',
    );
    expect(m.text).toContain(
      'Purchases, Revenue and Conversion dropped, concentrated in region=eu-west.',
    );
    expect(m.text).toContain(
      '- Purchases: 1,250 (expected 2,980, −58%), 11:59–12:00 UTC, 15 Jan 2026',
    );
    expect(m.text).toContain('Incident #42: https://pulse.example.com/incidents/42');
    expect(m.html).toContain('<a href="https://pulse.example.com/incidents/42"');
    expect(m.html).toContain('<bdi>Purchases</bdi>');
  });

  it('loads nothing from outside: the only URL is the incident link', () => {
    const { html } = email();
    expect(html).not.toMatch(/<(img|script|link|iframe|object|embed|style)\b/i);
    expect(html).not.toMatch(/url\(/i);
    const urls = html.match(/https?:\/\/[^"'<\s]+/g) ?? [];
    expect(new Set(urls)).toEqual(new Set(['https://pulse.example.com/incidents/42']));
  });

  it.each(HOSTILE_VALUES.map((v) => [v.slice(0, 40), v]))(
    'hostile event data %j is escaped in HTML, revealed in text, one line in the subject',
    (_, value) => {
      const hostile = (v: string) =>
        incidentSnapshot({
          title: v,
          cause: [{ dimension: 'region', value: v }],
          status: 'acknowledged',
          acknowledgedBy: v,
          anomalies: [{ ...anomaly(), metric: { key: 'x', name: v, unit: v } }],
        });
      const m = email(hostile(value));
      const plain = email(hostile('x'));
      // Subject: one line, no controls, bounded.
      expect(m.subject.length).toBeLessThanOrEqual(SUBJECT_MAX);
      expect(m.subject).not.toMatch(
        // eslint-disable-next-line no-control-regex
        /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/,
      );
      // Text: no control but the line feeds we wrote; no bidi controls.
      expect(m.text).not.toMatch(
        // eslint-disable-next-line no-control-regex
        /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/,
      );
      expect(m.text.split('\n').length).toBe(plain.text.split('\n').length);
      // HTML: no tag from the data, no raw & that is not an entity, no bidi controls.
      const tags = m.html.match(/<\/?[a-z0-9!]+/gi) ?? [];
      expect(new Set(tags.map((t) => t.toLowerCase()))).toEqual(
        new Set(plain.html.match(/<\/?[a-z0-9!]+/gi)?.map((t) => t.toLowerCase())),
      );
      expect(outsideTags(m.html)).not.toMatch(/&(?!amp;|lt;|gt;|quot;|#39;)/);
      expect(m.html).not.toMatch(/[\u202a-\u202e\u2066-\u2069]/);
    },
  );

  it('escapeHtml escapes the five', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe(
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;',
    );
  });

  it('a header injection attempt stays in the subject line', () => {
    const m = email(incidentSnapshot({ title: 'x\r\nBcc: victim@example.com' }));
    expect(m.subject).toBe('[Pulse] CRITICAL Opened: x⟨U+000D⟩⟨U+000A⟩Bcc: victim@example.com');
  });

  it('lists at most 50 metrics and counts the rest', () => {
    const anomalies = Array.from({ length: 60 }, (_, i) => anomaly({ id: i, key: `m${i}` }));
    const m = email(incidentSnapshot({ anomalies }));
    expect(m.text).toContain('- and 10 more metrics');
    expect(m.html).toContain('and 10 more metrics');
  });
});
