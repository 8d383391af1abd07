/**
 * Command-line flags of `npm run users`, parsed and validated without side effects so the rules
 * can be tested: every mistake is reported with what was expected. Usernames, roles and
 * passwords follow the same rules as the browser (lib/auth/accounts.ts). Nothing is prompted.
 */
import { checkNewPassword, checkUsername, isRole, ROLES, type Role } from '@/lib/auth/accounts';
import { parseFlags, UsageError } from './usage';

export const USERS_USAGE = `Usage: npm run users -- <command> [arguments]

Manages the people who sign in to Pulse. Uses DATABASE_URL, or the embedded PostgreSQL that
\`npm start\` keeps under PULSE_DATA_DIR (started for the command if it is not running).

Commands:
  add <username> --role ROLE [--password PW]   create a user (without --password, a generated
                                                password is printed once)
  list                                         every user: role, status, created, last seen,
                                                active sessions
  passwd <username> [--password PW]            set a user's password (without --password, a
                                                generated one is printed once); ends all of
                                                the user's sessions
  role <username> ROLE                         change a user's role (viewer, editor, admin)
  disable <username>                           refuse its sign-in and end all its sessions
  enable <username>                            let a disabled user sign in again
  delete <username> --yes                      delete a user and its sessions (its name leaves
                                                the history it signed; disable to keep it)
  sessions <username>                          a user's active sessions, with their ids
  revoke <username> (SESSION-ID | --all)       end one session, or all of them

Roles: viewer watches the board, editor also changes metrics and thresholds, admin also
manages users and API keys. Usernames: 1-64 letters, digits, _ . -. Passwords: 8-200
characters. The last enabled admin cannot be disabled, demoted or deleted.

Exit status: 0 done, 1 refused (no such user, name taken, last admin), 2 usage error.`;

export type UsersCommand =
  | { command: 'help' }
  | { command: 'list' }
  | { command: 'add'; username: string; role: Role; password?: string }
  | { command: 'passwd'; username: string; password?: string }
  | { command: 'role'; username: string; role: Role }
  | { command: 'disable' | 'enable' | 'sessions'; username: string }
  | { command: 'delete'; username: string }
  | { command: 'revoke'; username: string; session: string }
  | { command: 'revoke'; username: string; all: true };

const COMMANDS = [
  'add',
  'list',
  'passwd',
  'role',
  'disable',
  'enable',
  'delete',
  'sessions',
  'revoke',
] as const;
type Name = (typeof COMMANDS)[number];

/** The flags each command accepts (besides --help). */
const ALLOWED: Record<Name, readonly string[]> = {
  add: ['role', 'password'],
  list: [],
  passwd: ['password'],
  role: ['role'],
  disable: [],
  enable: [],
  delete: ['yes'],
  sessions: [],
  revoke: ['all'],
};

const SESSION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function username(command: string, value: string | undefined): string {
  if (value === undefined) throw new UsageError(`${command}: expected a username`);
  const checked = checkUsername(value);
  if (!checked.ok) throw new UsageError(`username "${value}": ${checked.error}`);
  return checked.value;
}

function role(value: string | undefined, command: string): Role {
  if (value === undefined)
    throw new UsageError(`${command}: expected a role (${ROLES.join(', ')})`);
  if (!isRole(value)) {
    throw new UsageError(`role: expected ${ROLES.join(', ')}, got "${value}"`);
  }
  return value;
}

function password(value: string | undefined): { password?: string } {
  if (value === undefined) return {};
  const checked = checkNewPassword(value);
  if (!checked.ok) throw new UsageError(`--password: ${checked.error}`);
  return { password: checked.value };
}

/** Parses the arguments after `npm run users --`. Throws UsageError saying what is wrong. */
export function parseUsersArgs(argv: string[]): UsersCommand {
  const { values, positionals } = parseFlags({
    args: argv,
    allowPositionals: true,
    options: {
      role: { type: 'string' },
      password: { type: 'string' },
      all: { type: 'boolean' },
      yes: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true || positionals[0] === 'help') return { command: 'help' };
  const [command, ...rest] = positionals;
  if (command === undefined) throw new UsageError(`expected a command: ${COMMANDS.join(', ')}`);
  if (!(COMMANDS as readonly string[]).includes(command)) {
    throw new UsageError(`unknown command "${command}": expected ${COMMANDS.join(', ')}`);
  }
  const name = command as Name;
  for (const flag of ['role', 'password', 'all', 'yes'] as const) {
    if (values[flag] !== undefined && !ALLOWED[name].includes(flag)) {
      throw new UsageError(`${name}: --${flag} does not apply`);
    }
  }
  const most = name === 'list' ? 0 : name === 'role' || name === 'revoke' ? 2 : 1;
  if (rest.length > most) {
    throw new UsageError(`${name}: unexpected argument "${rest[most]}"`);
  }
  const [first, second] = rest;
  switch (name) {
    case 'list':
      return { command: 'list' };
    case 'add':
      return {
        command: 'add',
        username: username(name, first),
        role: role(values.role, 'add: --role'),
        ...password(values.password),
      };
    case 'passwd':
      return { command: 'passwd', username: username(name, first), ...password(values.password) };
    case 'role': {
      if (second !== undefined && values.role !== undefined) {
        throw new UsageError('role: give the role once (as an argument or with --role)');
      }
      return {
        command: 'role',
        username: username(name, first),
        role: role(second ?? values.role, name),
      };
    }
    case 'delete':
      if (values.yes !== true) {
        throw new UsageError('delete: this cannot be undone; confirm with --yes');
      }
      return { command: 'delete', username: username(name, first) };
    case 'revoke': {
      const user = username(name, first);
      if (values.all === true) {
        if (second !== undefined) {
          throw new UsageError('revoke: give a session id or --all, not both');
        }
        return { command: 'revoke', username: user, all: true };
      }
      if (second === undefined) {
        throw new UsageError('revoke: expected a session id (see `sessions`) or --all');
      }
      if (!SESSION_ID.test(second)) {
        throw new UsageError(`revoke: "${second}" is not a session id (see \`sessions\`)`);
      }
      return { command: 'revoke', username: user, session: second.toLowerCase() };
    }
    default:
      return { command: name, username: username(name, first) };
  }
}
