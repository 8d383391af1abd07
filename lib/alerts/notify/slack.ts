/**
 * The Slack incoming-webhook message: Block Kit, within Slack's documented limits, with event
 * data unable to mention, link or format.
 *
 * Layout: a header (severity, what happened, the title), the cause sentence, one field per
 * metric (its reading and window), a context line (status, who acknowledged, the incident),
 * and a button to the incident in Pulse. The top-level `text` is the notification's fallback
 * (push notifications, screen readers).
 *
 * Limits (Block Kit reference): header text ≤ 150 characters (plain_text only); section text ≤
 * 3000; a section's fields ≤ 10, each ≤ 2000; context elements ≤ 10; button text ≤ 75 and its
 * URL ≤ 3000; ≤ 50 blocks a message. Every text is cut to its limit after escaping (./format.ts
 * `fit`: never mid-escape or mid-character); metrics beyond what fits are summed up as "and N
 * more" — the webhook and the incident page carry them all.
 *
 * Event data (the title, cause values, metric names) is attacker-controlled:
 *
 * - In mrkdwn, `&`, `<` and `>` are escaped as Slack documents (`&amp;`, `&lt;`, `&gt;`), so
 *   `<!channel>`, `<@U123>` and `<https://evil|click>` are shown, not acted on. Slack has no
 *   escape for its formatting markers, so `*`, `_`, `~` and `` ` `` in event data are replaced
 *   by look-alikes (∗ ＿ ∼ ˋ): `*bold*` reads as it was typed but does not embolden.
 * - In plain_text (the header), nothing is parsed: no mentions, links or formatting (and
 *   `emoji: false` keeps `:name:` literal), so the text goes in as it is, unescaped.
 * - Everywhere, characters that reorder or hide text (bidi overrides and isolates, control
 *   characters, line breaks included: ./format.ts `revealLine`) are shown as `⟨U+202E⟩`.
 */
import {
  KIND_LABEL,
  SEVERITY_LABEL,
  causeSentence,
  fit,
  formatReading,
  formatWindow,
  isHttpUrl,
  revealLine,
} from './format';
import type { NotificationMessage } from './webhook';

export const SLACK_LIMITS = {
  headerText: 150,
  sectionText: 3000,
  fields: 10,
  fieldText: 2000,
  contextElements: 10,
  buttonText: 75,
  buttonUrl: 3000,
  blocks: 50,
  /** Not a Block Kit limit: a fallback notification is a line or two. */
  fallbackText: 3000,
} as const;

/** Sections of metric fields at most (the other blocks: header, cause, context, actions). */
const MAX_FIELD_SECTIONS = 5;

const MRKDWN_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '*': '\u2217',
  _: '\uff3f',
  '~': '\u223c',
  '`': '\u02cb',
};

/** One character of event data for mrkdwn. */
const escapeMrkdwnChar = (c: string) => MRKDWN_ESCAPES[c] ?? c;

/** Event data for mrkdwn: controls revealed, Slack's control characters escaped, markers defused. */
export function escapeMrkdwn(text: string): string {
  return Array.from(revealLine(text), escapeMrkdwnChar).join('');
}

/** Event data for mrkdwn, cut to `max` after escaping. */
const mrkdwnData = (text: string, max: number) => fit(revealLine(text), max, escapeMrkdwnChar);
/** Text for plain_text, cut to `max`. */
const plainData = (text: string, max: number) => fit(revealLine(text), max);

const EMOJI = { warn: ':large_orange_circle:', critical: ':red_circle:' } as const;
const RESOLVED = ':large_green_circle:';

type Text = { type: 'plain_text'; text: string; emoji: false } | { type: 'mrkdwn'; text: string };
export type SlackBlock =
  | { type: 'header'; text: Text & { type: 'plain_text' } }
  | { type: 'section'; text?: Text; fields?: Text[] }
  | { type: 'context'; elements: Text[] }
  | {
      type: 'actions';
      elements: {
        type: 'button';
        text: Text & { type: 'plain_text' };
        url: string;
        action_id: string;
        style?: 'primary' | 'danger';
      }[];
    };

export interface SlackMessage {
  text: string;
  blocks: SlackBlock[];
}

const plain = (text: string): Text & { type: 'plain_text' } => ({
  type: 'plain_text',
  text,
  emoji: false,
});
const mrkdwn = (text: string): Text => ({ type: 'mrkdwn', text });

/** The incoming-webhook body for a notification. */
export function slackMessage(message: NotificationMessage): SlackMessage {
  const { incident, kind } = message;
  const resolved = kind === 'resolve';
  const severity = SEVERITY_LABEL[incident.severity];
  const label = KIND_LABEL[kind];

  const headerPrefix = `${severity} · ${label}: `;
  const header = plain(
    headerPrefix + plainData(incident.title, SLACK_LIMITS.headerText - headerPrefix.length),
  );

  const blocks: SlackBlock[] = [{ type: 'header', text: header }];
  const icon = resolved ? RESOLVED : EMOJI[incident.severity];
  const sentence = `${icon} ${mrkdwnData(causeSentence(incident), SLACK_LIMITS.sectionText - 40)}`;
  blocks.push({ type: 'section', text: mrkdwn(sentence) });

  const fields = incident.anomalies.map((a) => {
    const name = `*${mrkdwnData(a.metric.name, 200)}*`;
    const reading = mrkdwnData(formatReading(a), 300);
    const window = formatWindow(a.windowStart, a.windowEnd);
    return mrkdwn(fit(`${name}\n${reading}\n${window}`, SLACK_LIMITS.fieldText));
  });
  const shown = Math.min(fields.length, SLACK_LIMITS.fields * MAX_FIELD_SECTIONS);
  for (let i = 0; i < shown; i += SLACK_LIMITS.fields) {
    blocks.push({
      type: 'section',
      fields: fields.slice(i, Math.min(shown, i + SLACK_LIMITS.fields)),
    });
  }

  const context: string[] = [`Status: *${incident.status}*`];
  if (incident.acknowledgedBy && incident.status === 'acknowledged') {
    context.push(`Acknowledged by ${mrkdwnData(incident.acknowledgedBy, 100)}`);
  }
  if (fields.length > shown) context.push(`and ${fields.length - shown} more metrics`);
  context.push(`Incident #${incident.id}`);
  blocks.push({
    type: 'context',
    elements: context.slice(0, SLACK_LIMITS.contextElements).map(mrkdwn),
  });

  if (isHttpUrl(incident.link) && incident.link.length <= SLACK_LIMITS.buttonUrl) {
    blocks.push({
      type: 'actions',
      elements: [
        {
          type: 'button',
          text: plain('Open in Pulse'),
          url: incident.link,
          action_id: 'pulse-open-incident',
          ...(incident.severity === 'critical' && !resolved ? { style: 'danger' as const } : {}),
        },
      ],
    });
  }

  const fallbackPrefix = `${severity} ${label}: `;
  return {
    text:
      fallbackPrefix +
      mrkdwnData(incident.title, SLACK_LIMITS.fallbackText - fallbackPrefix.length),
    blocks: blocks.slice(0, SLACK_LIMITS.blocks),
  };
}
