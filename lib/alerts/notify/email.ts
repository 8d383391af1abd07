/**
 * The email: a subject, a plain-text part and an HTML part, for an SMTP transport (nodemailer
 * or similar, in the dispatcher) to send.
 *
 * - **Subject**: one line (it is a header): line breaks, every control character and the bidi
 *   controls of event data are revealed (`⟨U+000A⟩`), never passed on, so no header can be
 *   forged; cut to {@link SUBJECT_MAX} characters. Encoding non-ASCII (RFC 2047) is the
 *   transport's job.
 * - **Text part**: event data with controls revealed (lib/text/output.ts), line breaks in it
 *   included, so a value cannot forge a line of the message.
 * - **HTML part**: every piece of event data HTML-escaped (`& < > " '`) and isolated in `<bdi>`
 *   with controls revealed; inline styles only, no external resources (no images, fonts,
 *   stylesheets or scripts), one link: the incident in Pulse.
 */
import {
  KIND_LABEL,
  SEVERITY_LABEL,
  causeSentence,
  fit,
  formatCause,
  formatReading,
  formatWindow,
  isHttpUrl,
  isoTime,
  revealLine,
} from './format';
import type { NotificationMessage } from './webhook';

export const SUBJECT_MAX = 200;
/** Metrics listed in full; the rest are counted. */
export const EMAIL_METRICS_MAX = 50;
/** Longest piece of event data shown. */
const DATA_MAX = 500;

export interface EmailMessage {
  subject: string;
  text: string;
  html: string;
}

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] as string);
}

/** Event data for the text part: one line, controls revealed, cut. */
const textData = (text: string, max = DATA_MAX) => fit(revealLine(text), max);
/** Event data for the HTML part: escaped and isolated. */
const htmlData = (text: string, max = DATA_MAX) =>
  `<bdi>${fit(revealLine(text), max, escapeHtml)}</bdi>`;

const COLOUR = { warn: '#b45309', critical: '#b91c1c', resolved: '#15803d' } as const;

/** The email for a notification. */
export function emailMessage(message: NotificationMessage): EmailMessage {
  const { incident, kind } = message;
  const severity = SEVERITY_LABEL[incident.severity];
  const label = KIND_LABEL[kind];
  const prefix = `[Pulse] ${severity} ${label}: `;
  const subject = prefix + fit(revealLine(incident.title), SUBJECT_MAX - prefix.length);

  const listed = incident.anomalies.slice(0, EMAIL_METRICS_MAX);
  const more = incident.anomalies.length - listed.length;
  const cause = formatCause(incident.cause);
  const ack =
    incident.status === 'acknowledged' && incident.acknowledgedBy ? incident.acknowledgedBy : null;

  const text = [
    `${severity} · ${label}`,
    textData(incident.title),
    '',
    textData(causeSentence(incident), 2 * DATA_MAX),
    '',
    ...listed.map(
      (a) =>
        `- ${textData(a.metric.name, 200)}: ${textData(formatReading(a))}, ${formatWindow(a.windowStart, a.windowEnd)}`,
    ),
    ...(more > 0 ? [`- and ${more} more metrics`] : []),
    '',
    `Status: ${incident.status}${ack ? ` (acknowledged by ${textData(ack, 100)})` : ''}`,
    `Cause: ${cause ? textData(cause) : 'none shared'}`,
    `Opened: ${isoTime(incident.openedAt)}`,
    `Incident #${incident.id}: ${incident.link}`,
    '',
    `-- Pulse · notification ${message.key}`,
    '',
  ].join('\n');

  const colour = kind === 'resolve' ? COLOUR.resolved : COLOUR[incident.severity];
  const cell = 'padding:4px 12px 4px 0;vertical-align:top;';
  const rows = listed
    .map(
      (a) =>
        `<tr><td style="${cell}font-weight:600">${htmlData(a.metric.name, 200)}</td>` +
        `<td style="${cell}">${htmlData(formatReading(a))}</td>` +
        `<td style="${cell}color:#555">${escapeHtml(formatWindow(a.windowStart, a.windowEnd))}</td></tr>`,
    )
    .join('');
  const link = escapeHtml(incident.link);
  const html = [
    '<!DOCTYPE html>',
    '<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"></head>',
    '<body style="font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;color:#111;font-size:14px;line-height:1.4">',
    `<p style="margin:0 0 4px;color:${colour};font-weight:700;letter-spacing:.04em">${escapeHtml(`${severity} · ${label}`)}</p>`,
    `<h1 style="margin:0 0 12px;font-size:18px">${htmlData(incident.title)}</h1>`,
    `<p style="margin:0 0 12px">${htmlData(causeSentence(incident), 2 * DATA_MAX)}</p>`,
    `<table role="presentation" style="border-collapse:collapse;margin:0 0 12px">${rows}</table>`,
    more > 0 ? `<p style="margin:0 0 12px">and ${more} more metrics</p>` : '',
    `<p style="margin:0 0 12px;color:#555">Status: ${escapeHtml(incident.status)}${ack ? ` (acknowledged by ${htmlData(ack, 100)})` : ''} · Opened ${escapeHtml(isoTime(incident.openedAt))} · Incident #${incident.id}</p>`,
    isHttpUrl(incident.link)
      ? `<p style="margin:0 0 16px"><a href="${link}" style="color:#1d4ed8">Open the incident in Pulse</a></p>`
      : '',
    `<p style="margin:0;color:#888;font-size:12px">Pulse · notification ${escapeHtml(message.key)}</p>`,
    '</body></html>',
  ]
    .filter((line) => line !== '')
    .join('\n');

  return { subject, text, html };
}
