import { describe, expect, it } from 'vitest';
import {
  SLACK_LIMITS,
  escapeMrkdwn,
  slackMessage,
  type SlackBlock,
  type SlackMessage,
} from './slack';
import { HOSTILE_VALUES, T0, anomaly, incidentSnapshot } from './testing';
import type { NotificationMessage } from './webhook';
import type { IncidentSnapshot } from './types';

const message = (
  incident: IncidentSnapshot = incidentSnapshot(),
  kind: NotificationMessage['kind'] = 'open',
) => slackMessage({ kind, key: 'pulse-42-1-open', createdAt: T0, incident });

/** Every text object of the message with whether it is mrkdwn. */
function texts(m: SlackMessage): { text: string; mrkdwn: boolean }[] {
  const out = [{ text: m.text, mrkdwn: true }];
  const add = (t: { type: string; text: string } | undefined) => {
    if (t) out.push({ text: t.text, mrkdwn: t.type === 'mrkdwn' });
  };
  for (const b of m.blocks) {
    if (b.type === 'header') add(b.text);
    if (b.type === 'section') {
      add(b.text);
      b.fields?.forEach(add);
    }
    if (b.type === 'context') b.elements.forEach(add);
    if (b.type === 'actions') b.elements.forEach((e) => add(e.text));
  }
  return out;
}

/** Slack's documented Block Kit limits, checked on a message. */
function checkLimits(m: SlackMessage) {
  expect(m.blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.blocks);
  expect(m.text.length).toBeLessThanOrEqual(SLACK_LIMITS.fallbackText);
  for (const b of m.blocks as SlackBlock[]) {
    if (b.type === 'header') {
      expect(b.text.type).toBe('plain_text');
      expect(b.text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.headerText);
      expect(b.text.text.length).toBeGreaterThan(0);
    }
    if (b.type === 'section') {
      expect(b.text !== undefined || (b.fields?.length ?? 0) > 0).toBe(true);
      if (b.text) expect(b.text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
      expect(b.fields?.length ?? 0).toBeLessThanOrEqual(SLACK_LIMITS.fields);
      for (const f of b.fields ?? [])
        expect(f.text.length).toBeLessThanOrEqual(SLACK_LIMITS.fieldText);
    }
    if (b.type === 'context') {
      expect(b.elements.length).toBeGreaterThan(0);
      expect(b.elements.length).toBeLessThanOrEqual(SLACK_LIMITS.contextElements);
    }
    if (b.type === 'actions') {
      for (const e of b.elements) {
        expect(e.text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.buttonText);
        expect(e.url.length).toBeLessThanOrEqual(SLACK_LIMITS.buttonUrl);
      }
    }
  }
}

describe('slackMessage', () => {
  it('header with severity and title, the cause sentence, a field per metric, a link', () => {
    const m = message();
    checkLimits(m);
    expect(m.blocks.map((b) => b.type)).toEqual([
      'header',
      'section',
      'section',
      'context',
      'actions',
    ]);
    expect(m.blocks[0]).toEqual({
      type: 'header',
      text: {
        type: 'plain_text',
        text: 'CRITICAL · Opened: region=eu-west: Purchases −58%, Revenue −62%, Conversion −8 pts',
        emoji: false,
      },
    });
    expect(m.blocks[1]).toEqual({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: ':red_circle: Purchases, Revenue and Conversion dropped, concentrated in region=eu-west.',
      },
    });
    const fields = m.blocks[2]?.type === 'section' ? m.blocks[2].fields : [];
    expect(fields?.[0]?.text).toBe(
      '*Purchases*\n1,250 (expected 2,980, −58%)\n11:59–12:00 UTC, 15 Jan 2026',
    );
    expect(m.blocks[4]).toMatchObject({
      type: 'actions',
      elements: [
        { type: 'button', url: 'https://pulse.example.com/incidents/42', style: 'danger' },
      ],
    });
    expect(m.text).toBe(
      'CRITICAL Opened: region=eu-west: Purchases −58%, Revenue −62%, Conversion −8 pts',
    );
  });

  it('resolve shows green and no danger button', () => {
    const m = message(incidentSnapshot({ status: 'resolved' }), 'resolve');
    expect(JSON.stringify(m.blocks[1])).toContain(':large_green_circle:');
    expect(m.blocks[4]).not.toHaveProperty('elements.0.style');
  });

  it('no button for a link that is not http(s)', () => {
    const m = message(incidentSnapshot({ link: 'javascript:alert(1)' }));
    expect(m.blocks.some((b) => b.type === 'actions')).toBe(false);
  });

  it.each(HOSTILE_VALUES.map((v) => [v.slice(0, 40), v]))(
    'hostile event data %j: no mention, link, formatting or reordering, within limits',
    (_, value) => {
      const incident = incidentSnapshot({
        title: `region=${value}: Purchases −58%`,
        cause: [{ dimension: 'region', value }],
        acknowledgedBy: value,
        status: 'acknowledged',
        anomalies: [
          anomaly({ key: 'purchases' }),
          { ...anomaly(), metric: { key: 'x', name: value, unit: value } },
        ],
      });
      const m = message(incident);
      checkLimits(m);
      for (const { text, mrkdwn } of texts(m)) {
        // Nothing reorders or hides text.
        expect(text).not.toMatch(
          // eslint-disable-next-line no-control-regex
          /[\u202a-\u202e\u2066-\u2069\u0000-\u0008\u000b-\u001f\u007f-\u009f]/,
        );
        if (!mrkdwn) continue;
        // No Slack control sequence but the ones we wrote, no raw formatting markers from data.
        expect(text).not.toContain('<!');
        expect(text).not.toContain('<@');
        expect(text).not.toContain('<http');
        expect(text).not.toMatch(/&(?!amp;|lt;|gt;)/);
        expect(text).not.toContain('`');
        expect(text).not.toContain('~');
      }
    },
  );

  it('escapes as Slack documents, defuses markers, reveals bidi controls', () => {
    expect(escapeMrkdwn('<!channel> & <@U1>')).toBe('&lt;!channel&gt; &amp; &lt;@U1&gt;');
    expect(escapeMrkdwn('&lt;!here&gt;')).toBe('&amp;lt;!here&amp;gt;');
    expect(escapeMrkdwn('*bold* _it_ ~s~ `c`')).toBe('∗bold∗ ＿it＿ ∼s∼ ˋcˋ');
    expect(escapeMrkdwn('gnp.\u202eexe')).toBe('gnp.⟨U+202E⟩exe');
  });

  it('a very long title is cut within the header limit; the header never splits a character', () => {
    const m = message(incidentSnapshot({ title: '🙂'.repeat(500) }));
    checkLimits(m);
    const header = m.blocks[0]?.type === 'header' ? m.blocks[0].text.text : '';
    expect(header.endsWith('…')).toBe(true);
    expect(header).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
  });

  it('many metrics: at most 10 fields a section, the rest counted, still ≤ 50 blocks', () => {
    const anomalies = Array.from({ length: 137 }, (_, i) => anomaly({ id: i, key: `m${i}` }));
    const m = message(incidentSnapshot({ anomalies }));
    checkLimits(m);
    const sections = m.blocks.filter((b) => b.type === 'section' && b.fields);
    expect(sections).toHaveLength(5);
    expect(JSON.stringify(m.blocks)).toContain('and 87 more metrics');
  });
});
