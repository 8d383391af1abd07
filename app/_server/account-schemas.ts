/**
 * The path segments and bodies of the account routes (app/api/account/**, app/api/users/**),
 * parsed with the rules of lib/auth/accounts.ts, so that the forms, the API and
 * `npm run users` say the same. Bodies are strict: an unknown field is a 400 naming it.
 */
import { z } from 'zod';
import {
  checkNewPassword,
  checkUsername,
  PASSWORD_MAX,
  ROLES,
  type Check,
} from '@/lib/auth/accounts';

/** A field checked by one of the lib rules; its message becomes the field's. */
const checkedBy = (check: (value: unknown) => Check<string>) =>
  z.unknown().transform((value, ctx) => {
    const checked = check(value);
    if (checked.ok) return checked.value;
    ctx.addIssue({ code: 'custom', message: checked.error });
    return z.NEVER;
  });

const role = z.enum(ROLES, { error: 'Choose viewer, editor or admin.' });

/** `[id]` of /api/users/[id]/…: a positive integer, else no such user (404). */
export const UserIdParams = z.object({
  id: z
    .string()
    .regex(/^[1-9]\d{0,8}$/, { error: 'No such user.' })
    .transform(Number),
});

const SESSION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const sessionId = z.string().regex(SESSION_ID, { error: 'No such session.' });

/** `[id]` of /api/account/sessions/[id]/revoke: a session's public id, else a 404. */
export const OwnSessionParams = z.object({ id: sessionId });

/** `[id]` and `[sessionId]` of /api/users/[id]/sessions/[sessionId]/revoke. */
export const UserSessionParams = UserIdParams.extend({ sessionId });

/** PUT /api/account/password. */
export const ChangePasswordBody = z.strictObject({
  currentPassword: z
    .string({ error: 'Enter your current password.' })
    .min(1, { error: 'Enter your current password.' })
    .max(PASSWORD_MAX, { error: 'This is not your current password.' }),
  newPassword: checkedBy(checkNewPassword),
});

/** POST /api/users: without a password, one is generated and answered once. */
export const CreateUserBody = z.strictObject({
  username: checkedBy(checkUsername),
  role,
  password: checkedBy(checkNewPassword).optional(),
});

/** PATCH /api/users/[id]: a new role, or disabled true/false, or both. */
export const UpdateUserBody = z
  .strictObject({
    role: role.optional(),
    disabled: z.boolean({ error: 'Expected true or false.' }).optional(),
  })
  .refine((body) => body.role !== undefined || body.disabled !== undefined, {
    error: 'Give a role, or whether the user is disabled.',
  });

/** POST /api/users/[id]/password: the password to set, or `{}` for a generated one. */
export const ResetPasswordBody = z.strictObject({
  password: checkedBy(checkNewPassword).optional(),
});
