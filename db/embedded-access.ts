/**
 * Which directories on a path an account cannot pass through. Run as root, embedded PostgreSQL
 * runs as the `postgres` user (PostgreSQL refuses root), and that user must be able to search
 * every directory on the way to the binaries and to the cluster: a clone under a 0700 home or
 * temporary directory is out of its reach (db/embedded.ts then keeps both elsewhere). Pure: the
 * caller supplies each directory's stat; POSIX ACLs are not considered.
 */
import { posix } from 'node:path';

/** The fields of a directory's stat that decide who may search it. */
export interface DirStat {
  mode: number;
  uid: number;
  gid: number;
}

/**
 * The account a process runs as. `gid` only: a process spawned with another uid and gid keeps
 * no supplementary groups (Node's spawn clears them), so they grant nothing.
 */
export interface Account {
  uid: number;
  gid: number;
}

/** `/`, then each directory down to `path` itself (an absolute path). */
export function dirsOnPath(path: string): string[] {
  const parts = posix.normalize(path).split('/').filter(Boolean);
  return ['/', ...parts.map((_, i) => `/${parts.slice(0, i + 1).join('/')}`)];
}

/** True when `account` may search (pass through) a directory with this stat. */
export function canSearch(stat: DirStat, account: Account): boolean {
  if (account.uid === 0) return true;
  // The first class that matches decides, as the kernel does: an owner without x is refused
  // even when others have it.
  if (stat.uid === account.uid) return (stat.mode & 0o100) !== 0;
  if (stat.gid === account.gid) return (stat.mode & 0o010) !== 0;
  return (stat.mode & 0o001) !== 0;
}

/**
 * The directories on the way to `path` (itself included) that `account` cannot search, from the
 * top. A directory that does not exist ends the walk: whoever creates it decides its mode.
 */
export function blockedDirs(
  path: string,
  account: Account,
  statOf: (dir: string) => DirStat | null,
): string[] {
  const blocked: string[] = [];
  for (const dir of dirsOnPath(path)) {
    const stat = statOf(dir);
    if (!stat) break;
    if (!canSearch(stat, account)) blocked.push(dir);
  }
  return blocked;
}
