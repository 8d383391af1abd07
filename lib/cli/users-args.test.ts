import { describe, expect, it } from 'vitest';
import { parseUsersArgs, USERS_USAGE } from './users-args';
import { UsageError } from './usage';

const parse = (...argv: string[]) => parseUsersArgs(argv);
const refused = (argv: string[], message: string | RegExp) => {
  expect(() => parseUsersArgs(argv)).toThrow(UsageError);
  expect(() => parseUsersArgs(argv)).toThrow(message);
};

const SESSION = '3f2b8c1e-9d4a-4c6b-8e2f-1a2b3c4d5e6f';

describe('parseUsersArgs', () => {
  it('reads every command', () => {
    expect(parse('list')).toEqual({ command: 'list' });
    expect(parse('add', 'alice', '--role', 'editor')).toEqual({
      command: 'add',
      username: 'alice',
      role: 'editor',
    });
    expect(parse('add', 'bob.s', '--role=admin', '--password', 'long enough')).toEqual({
      command: 'add',
      username: 'bob.s',
      role: 'admin',
      password: 'long enough',
    });
    expect(parse('passwd', 'alice')).toEqual({ command: 'passwd', username: 'alice' });
    expect(parse('passwd', 'alice', '--password=-starts-with-dash')).toEqual({
      command: 'passwd',
      username: 'alice',
      password: '-starts-with-dash',
    });
    expect(parse('role', 'alice', 'viewer')).toEqual({
      command: 'role',
      username: 'alice',
      role: 'viewer',
    });
    expect(parse('role', 'alice', '--role', 'admin')).toEqual({
      command: 'role',
      username: 'alice',
      role: 'admin',
    });
    expect(parse('disable', 'alice')).toEqual({ command: 'disable', username: 'alice' });
    expect(parse('enable', 'alice')).toEqual({ command: 'enable', username: 'alice' });
    expect(parse('sessions', 'alice')).toEqual({ command: 'sessions', username: 'alice' });
    expect(parse('delete', 'alice', '--yes')).toEqual({ command: 'delete', username: 'alice' });
    expect(parse('revoke', 'alice', SESSION.toUpperCase())).toEqual({
      command: 'revoke',
      username: 'alice',
      session: SESSION,
    });
    expect(parse('revoke', 'alice', '--all')).toEqual({
      command: 'revoke',
      username: 'alice',
      all: true,
    });
  });

  it('asks for help with -h, --help or help', () => {
    expect(parse('-h')).toEqual({ command: 'help' });
    expect(parse('add', '--help')).toEqual({ command: 'help' });
    expect(parse('help')).toEqual({ command: 'help' });
    for (const command of ['add', 'list', 'passwd', 'role', 'disable', 'enable', 'delete']) {
      expect(USERS_USAGE).toContain(`  ${command} `);
    }
    expect(USERS_USAGE).toContain('  sessions <username>');
    expect(USERS_USAGE).toContain('  revoke <username>');
  });

  it('refuses a missing or unknown command, and unknown flags', () => {
    refused(
      [],
      'expected a command: add, list, passwd, role, disable, enable, delete, sessions, revoke',
    );
    refused(['remove', 'alice'], 'unknown command "remove"');
    refused(['list', '--verbose'], /verbose/);
    refused(['add', 'alice', '--role'], /role/);
  });

  it('checks usernames by the same rule as the browser', () => {
    refused(['add', '--role', 'viewer'], 'add: expected a username');
    refused(['disable'], 'disable: expected a username');
    refused(
      ['add', 'al ice', '--role', 'viewer'],
      'username "al ice": Use only letters, digits, _ . and -.',
    );
    refused(['enable', 'x'.repeat(65)], 'Use at most 64 characters.');
    refused(['enable', 'a/b'], 'Use only letters');
  });

  it('checks roles and passwords', () => {
    refused(['add', 'alice'], 'add: --role: expected a role (viewer, editor, admin)');
    refused(['add', 'alice', '--role', 'root'], 'role: expected viewer, editor, admin, got "root"');
    refused(['role', 'alice'], 'role: expected a role');
    refused(['role', 'alice', 'editor', '--role', 'admin'], 'give the role once');
    refused(
      ['add', 'alice', '--role', 'viewer', '--password', 'short'],
      '--password: Use at least 8 characters.',
    );
    refused(['passwd', 'alice', '--password', 'x'.repeat(201)], 'Use at most 200 characters.');
    refused(['passwd', 'alice', '--password='], '--password: Enter a password.');
  });

  it('refuses flags and arguments a command does not take', () => {
    refused(['list', 'alice'], 'list: unexpected argument "alice"');
    refused(['disable', 'alice', 'bob'], 'disable: unexpected argument "bob"');
    refused(
      ['disable', 'alice', '--password', 'long enough'],
      'disable: --password does not apply',
    );
    refused(['passwd', 'alice', '--role', 'admin'], 'passwd: --role does not apply');
    refused(['sessions', 'alice', '--all'], 'sessions: --all does not apply');
  });

  it('deletes only with --yes; revokes one session by its id, or --all', () => {
    refused(['delete', 'alice'], 'delete: this cannot be undone; confirm with --yes');
    refused(['revoke', 'alice'], 'revoke: expected a session id (see `sessions`) or --all');
    refused(['revoke', 'alice', 'abc'], 'revoke: "abc" is not a session id');
    refused(['revoke', 'alice', SESSION, '--all'], 'give a session id or --all, not both');
    refused(['revoke', 'alice', SESSION, 'extra'], 'revoke: unexpected argument "extra"');
  });
});
