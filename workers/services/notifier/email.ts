/**
 * The email channel over SMTP with nodemailer: the subject, plain-text and HTML parts of
 * lib/alerts/notify/email.ts, to the channel's recipients through the server of its SMTP URL
 * (`smtp://user:password@host:587`, `smtps://…` for TLS from the start).
 *
 * One connection per attempt (notifications are few; a pool would hold sockets open for
 * nothing). Every retry carries the same `Message-ID`, derived from the notification's key, so
 * mail systems that dedupe on it show one message. Replies map to retry.ts by their class: 4yz
 * retried, 5yz permanent; a connection that fails is retried.
 */
import { createTransport } from 'nodemailer';
import { emailMessage } from '@/lib/alerts/notify/email';
import type { NotificationMessage } from '@/lib/alerts/notify/webhook';
import { abortedResult, type AttemptBounds, type SendOutcome } from './attempt';
import { maskCredentials } from '@/lib/alerts/notify/credentials';
import type { EmailSettings } from './channel';

/** The fields nodemailer sets on the errors it hands back. */
interface SmtpError extends Error {
  code?: string;
  responseCode?: number;
  response?: string;
  originalCode?: string;
}

/** Errors raised before any server was asked: the settings or the envelope are unusable. */
const UNUSABLE = new Set(['ECONFIG', 'EENVELOPE', 'ENOAUTH', 'EMAXRECIPIENTS']);

/** The reply code at the start of an SMTP response ("250 2.0.0 OK"); 250 when absent. */
const replyCode = (response: string | undefined) =>
  Number(/^\d{3}/.exec(response ?? '')?.[0] ?? 250);

/** A stable Message-ID for the notification: the same on every attempt. */
function messageId(key: string, from: string): string {
  const domain = from.slice(from.lastIndexOf('@') + 1) || 'pulse.invalid';
  return `<${key}@${domain}>`;
}

/** One email attempt. */
export async function sendEmail(
  settings: EmailSettings,
  key: string,
  message: NotificationMessage,
  bounds: AttemptBounds,
  credentials: readonly string[],
): Promise<SendOutcome> {
  const { subject, text, html } = emailMessage(message);
  // Each of nodemailer's own waits is bounded by the attempt's timeout too.
  const transport = createTransport({
    url: settings.smtp,
    connectionTimeout: bounds.timeoutMs,
    greetingTimeout: bounds.timeoutMs,
    socketTimeout: bounds.timeoutMs,
  });
  try {
    const info = await transport.sendMail({
      from: settings.from,
      to: settings.to,
      subject,
      text,
      html,
      messageId: messageId(key, settings.from),
      signal: bounds.signal,
    });
    const code = replyCode(info.response);
    return { result: { kind: 'smtp', code }, statusCode: code };
  } catch (error) {
    return smtpFailure(error as SmtpError, settings, bounds, credentials);
  } finally {
    transport.close();
  }
}

/** What a failed send means for retry.ts; texts masked and naming the server's host only. */
function smtpFailure(
  error: SmtpError,
  settings: EmailSettings,
  bounds: AttemptBounds,
  credentials: readonly string[],
): SendOutcome {
  if (bounds.signal.aborted) return { result: abortedResult(bounds), statusCode: null };
  if (typeof error.responseCode === 'number') {
    // "550 5.1.1 <a@b>: Recipient address rejected" → the text after the code.
    const reply = maskCredentials((error.response ?? '').replace(/^\d{3}[ -]?/, ''), credentials);
    return {
      result: { kind: 'smtp', code: error.responseCode, reply },
      statusCode: error.responseCode,
    };
  }
  if (error.code === 'ETIMEDOUT') {
    return { result: { kind: 'timeout', afterMs: bounds.timeoutMs }, statusCode: null };
  }
  const host = smtpHost(settings.smtp);
  const code = [error.code, error.originalCode].filter(Boolean).join('/');
  const text = maskCredentials(`${host}: ${code ? `${code}: ` : ''}${error.message}`, credentials);
  if (error.code && UNUSABLE.has(error.code)) {
    return { result: { kind: 'invalid', reason: text }, statusCode: null };
  }
  return { result: { kind: 'network', error: text }, statusCode: null };
}

/** `smtp://mail.example.com:587`: the server, without the user info. */
function smtpHost(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}`;
  } catch {
    return '(invalid SMTP URL)';
  }
}
