/**
 * The rules of a channel's fields, shared by the provisioning file (./config-file.ts, which
 * first resolves `${ENV}` references in the credential fields) and the settings page and API
 * (./settings-input.ts, which take what was typed literally). One set of messages for both.
 */
import { z } from 'zod';
import { oneOrMany } from './fields';

/** Shortest webhook secret accepted: a guessable one makes the signature worthless. */
export const SECRET_MIN = 16;
/** Most recipients of one email channel. */
export const RECIPIENTS_MAX = 50;
/** Longest URL accepted (a webhook's, Slack's, an SMTP URL). */
export const URL_MAX = 2000;

/** An absolute http(s) URL (`https` only: Slack's incoming webhooks are https). */
export const httpUrlText = (https = false) =>
  z
    .string({ error: 'expected a URL as text' })
    .max(URL_MAX, { error: `expected a URL of at most ${URL_MAX} characters` })
    .refine(
      (text) => {
        try {
          const url = new URL(text);
          return https ? url.protocol === 'https:' : ['http:', 'https:'].includes(url.protocol);
        } catch {
          return false;
        }
      },
      { error: https ? 'expected an https URL' : 'expected an http(s) URL' },
    );

/** The signing secret of a webhook. */
export const webhookSecretText = z
  .string({ error: 'expected a secret as text' })
  .min(SECRET_MIN, { error: `expected a secret of at least ${SECRET_MIN} characters` })
  .max(500, { error: 'expected a secret of at most 500 characters' });

const EMAIL = /^[^\s@<>()[\],;:"]+@[^\s@<>()[\],;:"]+\.[^\s@<>()[\],;:"]+$/;

export const emailAddress = z
  .string({ error: 'expected an email address' })
  .max(254, { error: 'expected an email address of at most 254 characters' })
  .regex(EMAIL, { error: 'expected an email address, such as oncall@example.com' });

/** One address or a list of them. */
export const recipients = oneOrMany(emailAddress).pipe(
  z.array(z.string()).max(RECIPIENTS_MAX, {
    error: `expected at most ${RECIPIENTS_MAX} recipients`,
  }),
);

/** `smtp://user:password@host:587` or `smtps://…`. */
export const smtpUrlText = z
  .string({ error: 'expected an SMTP URL as text' })
  .max(URL_MAX, { error: `expected a URL of at most ${URL_MAX} characters` })
  .regex(/^smtps?:\/\/[^\s/?#]+/, {
    error: 'expected an SMTP URL, such as smtp://user:password@mail.example.com:587',
  });
