/**
 * Accounts, the parts shared by the browser, the routes and `npm run users`: the rules for a
 * username and a new password (one set of messages everywhere), the roles, and the JSON shapes
 * of users and sessions as admins and their owners see them. Pure. Never a password hash nor a
 * session token: a session is named by its random public id.
 */

export const ROLES = ['viewer', 'editor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** What each role may do, in a few words (forms and the CLI's help), to follow the role's name. */
export const ROLE_WORDS: Record<Role, string> = {
  viewer: 'watches the board',
  editor: 'also changes metrics and thresholds',
  admin: 'also manages users and API keys',
};

/** {@link ROLE_WORDS} as a sentence of its own: "Watches the board." */
export const roleSentence = (role: Role) =>
  `${ROLE_WORDS[role].charAt(0).toUpperCase()}${ROLE_WORDS[role].slice(1)}.`;

export const USERNAME_MAX = 64;
/** Letters, digits, `_`, `.` and `-`: safe in logs, URLs and the command line. */
export const USERNAME_PATTERN = /^[a-zA-Z0-9_.-]{1,64}$/;
export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 200;

export type Check<T> = { ok: true; value: T } | { ok: false; error: string };

/** A new username: 1–64 letters, digits, `_ . -` (kept as typed, no trimming inside). */
export function checkUsername(input: unknown): Check<string> {
  if (typeof input !== 'string' || input.trim() === '') {
    return { ok: false, error: 'Enter a username.' };
  }
  const name = input.trim();
  if (name.length > USERNAME_MAX) {
    return { ok: false, error: `Use at most ${USERNAME_MAX} characters.` };
  }
  if (!USERNAME_PATTERN.test(name)) {
    return { ok: false, error: 'Use only letters, digits, _ . and -.' };
  }
  return { ok: true, value: name };
}

/** A new password: 8–200 characters, taken exactly as typed. */
export function checkNewPassword(input: unknown): Check<string> {
  if (typeof input !== 'string' || input === '') {
    return { ok: false, error: 'Enter a password.' };
  }
  if (input.length < PASSWORD_MIN) {
    return { ok: false, error: `Use at least ${PASSWORD_MIN} characters.` };
  }
  if (input.length > PASSWORD_MAX) {
    return { ok: false, error: `Use at most ${PASSWORD_MAX} characters.` };
  }
  return { ok: true, value: input };
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** A user as admins see it. Times are epoch ms. */
export interface UserView {
  id: number;
  username: string;
  role: Role;
  createdAt: number;
  /** Null while enabled. */
  disabledAt: number | null;
  /** Last request with one of its sessions; null if never signed in since this was recorded. */
  lastSeenAt: number | null;
  /** Sessions that have not expired. */
  sessions: number;
}

/** A sign-in session as its owner (and admins) see it: never its token nor the token's hash. */
export interface SessionView {
  /** Random public id, for revoking it. */
  id: string;
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
  /** The browser's User-Agent at sign-in (at most 200 characters), if it sent one. */
  userAgent: string | null;
  clientAddress: string | null;
  /** The session of the request that asked: "this device". */
  current: boolean;
}

/** What creating a user, or resetting a password, answers: a generated password, shown once. */
export interface PasswordIssued {
  user: UserView;
  /** Present only when Pulse generated the password; never stored, never shown again. */
  password?: string;
}

/** A short, readable name for a browser from its User-Agent ("Firefox on Linux"). */
export function describeUserAgent(userAgent: string | null): string {
  if (!userAgent) return 'Unknown browser';
  const ua = userAgent;
  const browser = /Edg\//.test(ua)
    ? 'Edge'
    : /OPR\//.test(ua)
      ? 'Opera'
      : /Firefox\//.test(ua)
        ? 'Firefox'
        : /HeadlessChrome\//.test(ua)
          ? 'Headless Chrome'
          : /Chrom(e|ium)\//.test(ua)
            ? 'Chrome'
            : /Safari\//.test(ua)
              ? 'Safari'
              : /^curl\//.test(ua)
                ? 'curl'
                : null;
  const os = /Android/.test(ua)
    ? 'Android'
    : /iPhone|iPad|iPod/.test(ua)
      ? 'iOS'
      : /Mac OS X|Macintosh/.test(ua)
        ? 'macOS'
        : /Windows/.test(ua)
          ? 'Windows'
          : /CrOS/.test(ua)
            ? 'ChromeOS'
            : /Linux/.test(ua)
              ? 'Linux'
              : null;
  if (browser && os) return `${browser} on ${os}`;
  return browser ?? os ?? 'Other client';
}
