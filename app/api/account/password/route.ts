import { ChangePasswordBody } from '@/app/_server/account-schemas';
import { route } from '@/app/_server/api-route';
import { clientAddress } from '@/app/_server/headers';
import { sessionToken } from '@/app/_server/session';
import { changeOwnPassword } from '@/app/_server/use-cases/change-password';

export const dynamic = 'force-dynamic';

/**
 * Changes the signed-in person's password, given the current one. Their other sessions end;
 * this one stays signed in. `{ sessionsEnded }`.
 */
export const PUT = route(
  {
    role: 'viewer',
    body: ChangePasswordBody,
    invalid: 'Check the highlighted fields.',
    // Passwords are taken exactly as typed, as sign-in takes them.
    text: { exempt: ['currentPassword', 'newPassword'] },
  },
  async ({ db, log, user, body, request, now }) =>
    changeOwnPassword(
      { db, log, now },
      {
        user,
        // The route helper found a session, so the request carries its token.
        token: sessionToken(request) ?? '',
        currentPassword: body.currentPassword,
        newPassword: body.newPassword,
        clientAddress: clientAddress(request),
      },
    ),
);
