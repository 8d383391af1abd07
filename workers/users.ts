/**
 * User administration from the command line (see USERS_USAGE in lib/cli/users-args.ts):
 *   npm run users -- add <username> --role viewer|editor|admin [--password <pw>]
 *   npm run users -- list | passwd | role | disable | enable | delete | sessions | revoke
 * Uses DATABASE_URL, or the embedded PostgreSQL that `npm start` keeps under PULSE_DATA_DIR
 * (started for the duration of the command if it is not running). Every change runs through the
 * same use cases as the browser's (app/_server/use-cases/), with the same rules (the last
 * enabled admin stays) and the same notices to the web tier's live sockets; each is logged.
 */
import type { SessionView, UserView } from '@/lib/auth/accounts';
import { parseUsersArgs, USERS_USAGE, type UsersCommand } from '@/lib/cli/users-args';
import { UsageError } from '@/lib/cli/usage';
import { PulseError } from '@/lib/errors';
import { config } from '@/env';
import { createLogger } from '@/lib/observability/log';
import { createDb, type Db } from '@/db/client';
import { findUserByUsername, listSessions, listUsers } from '@/db/queries/auth';
import { createUserAccount } from '@/app/_server/use-cases/create-user';
import { deleteUserAccount } from '@/app/_server/use-cases/delete-user';
import { resetPassword } from '@/app/_server/use-cases/reset-password';
import { revokeAllSessions, revokeSession } from '@/app/_server/use-cases/revoke-session';
import { updateUser } from '@/app/_server/use-cases/update-user';
import { COMMAND_LINE } from '@/app/_server/use-cases/user-admin';
import { prepareDatabase } from '@/workers/services/bootstrap';

type Logger = ReturnType<typeof createLogger>;

const iso = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString());

function printUsers(users: UserView[]): void {
  console.log(['username', 'role', 'status', 'created', 'last seen', 'sessions'].join('\t'));
  for (const u of users) {
    const status = u.disabledAt === null ? 'enabled' : `disabled ${iso(u.disabledAt)}`;
    console.log(
      [u.username, u.role, status, iso(u.createdAt), iso(u.lastSeenAt), u.sessions].join('\t'),
    );
  }
}

function printSessions(sessions: SessionView[]): void {
  if (sessions.length === 0) {
    console.log('no active sessions');
    return;
  }
  console.log(['id', 'created', 'last seen', 'expires', 'address', 'user agent'].join('\t'));
  for (const s of sessions) {
    console.log(
      [
        s.id,
        iso(s.createdAt),
        iso(s.lastSeenAt),
        iso(s.expiresAt),
        s.clientAddress ?? '-',
        JSON.stringify(s.userAgent ?? '-'),
      ].join('\t'),
    );
  }
}

/** Runs one parsed command against the database; resolves to the exit status. */
async function run(db: Db, log: Logger, args: Exclude<UsersCommand, { command: 'help' }>) {
  const deps = { db, log };
  if (args.command === 'list') {
    printUsers(await listUsers(db));
    return 0;
  }
  if (args.command === 'add') {
    const { user, password } = await createUserAccount(deps, { actor: COMMAND_LINE, ...args });
    console.log(
      `created ${user.role} "${user.username}"` + (password ? ` with password: ${password}` : ''),
    );
    return 0;
  }
  const target = await findUserByUsername(db, args.username);
  if (!target) {
    console.error(`no user named "${args.username}"`);
    return 1;
  }
  const id = target.id;
  const actor = COMMAND_LINE;
  switch (args.command) {
    case 'passwd': {
      const { user, password } = await resetPassword(deps, { actor, id, password: args.password });
      console.log(
        `password of "${user.username}" set` +
          (password ? `: ${password}` : '') +
          '; all its sessions ended',
      );
      return 0;
    }
    case 'role': {
      const user = await updateUser(deps, { actor, id, change: { role: args.role } });
      console.log(`"${user.username}" is now ${user.role}`);
      return 0;
    }
    case 'disable':
    case 'enable': {
      const disabled = args.command === 'disable';
      await updateUser(deps, { actor, id, change: { disabled } });
      console.log(
        disabled
          ? `"${target.username}" disabled; all its sessions ended`
          : `"${target.username}" enabled`,
      );
      return 0;
    }
    case 'delete': {
      await deleteUserAccount(deps, { actor, id });
      console.log(`"${target.username}" deleted`);
      return 0;
    }
    case 'sessions':
      printSessions(await listSessions(db, id));
      return 0;
    case 'revoke': {
      if ('all' in args) {
        const { sessionsEnded } = await revokeAllSessions(deps, { actor, userId: id });
        console.log(`${sessionsEnded} session(s) of "${target.username}" ended`);
      } else {
        await revokeSession(deps, { actor, userId: id, sessionId: args.session });
        console.log(`session ${args.session} of "${target.username}" ended`);
      }
      return 0;
    }
  }
}

async function main(argv = process.argv.slice(2)): Promise<number> {
  let args: UsersCommand;
  try {
    args = parseUsersArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`${error.message}\n\n${USERS_USAGE}`);
    return 2;
  }
  if (args.command === 'help') {
    console.log(USERS_USAGE);
    return 0;
  }
  const cfg = config();
  const db = await prepareDatabase(cfg, createLogger('users', 'warn'));
  const handle = createDb(db.url, { max: 1, appName: 'pulse-users' });
  // Every change is logged (who did what to whom), as the web tier logs an admin's.
  const log = createLogger('users', 'info', { pretty: true });
  try {
    return await run(handle.db, log, args);
  } catch (error) {
    // A refusal with a reason (last admin, a taken name, no such session): said, exit 1.
    if (error instanceof PulseError) {
      console.error(error.message);
      return 1;
    }
    throw error;
  } finally {
    await handle.close();
    if (db.embedded) await db.embedded.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
