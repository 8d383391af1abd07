import { describe, expect, it } from 'vitest';
import { blockedDirs, canSearch, dirsOnPath, type DirStat } from './embedded-access';

const POSTGRES = { uid: 101, gid: 104 };
const root = (mode: number): DirStat => ({ mode, uid: 0, gid: 0 });

/** A file system of directories; a path not listed does not exist. */
const fs =
  (dirs: Record<string, DirStat>) =>
  (dir: string): DirStat | null =>
    dirs[dir] ?? null;

describe('dirsOnPath', () => {
  it('lists every directory from / down to the path itself', () => {
    expect(dirsOnPath('/root/pulse/.data')).toEqual([
      '/',
      '/root',
      '/root/pulse',
      '/root/pulse/.data',
    ]);
    expect(dirsOnPath('/')).toEqual(['/']);
    expect(dirsOnPath('/a//b/')).toEqual(['/', '/a', '/a/b']);
  });
});

describe('canSearch', () => {
  it('uses the owner bits for the owner, the group bits for the group, the others bits else', () => {
    expect(canSearch({ mode: 0o700, uid: 101, gid: 0 }, POSTGRES)).toBe(true);
    expect(canSearch({ mode: 0o070, uid: 0, gid: 104 }, POSTGRES)).toBe(true);
    expect(canSearch(root(0o701), POSTGRES)).toBe(true);
    expect(canSearch(root(0o750), POSTGRES)).toBe(false);
    expect(canSearch(root(0o755), POSTGRES)).toBe(true);
  });

  it('lets the first matching class decide: an owner without x is refused even if others have it', () => {
    expect(canSearch({ mode: 0o611, uid: 101, gid: 0 }, POSTGRES)).toBe(false);
    expect(canSearch({ mode: 0o761, uid: 0, gid: 104 }, POSTGRES)).toBe(false);
  });

  it('lets root through anything', () => {
    expect(canSearch(root(0o000), { uid: 0, gid: 0 })).toBe(true);
  });

  it('needs x (search), not r: a 0711 directory can be passed through', () => {
    expect(canSearch(root(0o711), POSTGRES)).toBe(true);
    expect(canSearch(root(0o744), POSTGRES)).toBe(false);
  });
});

describe('blockedDirs', () => {
  it('is empty for a clone the postgres user can reach', () => {
    const stat = fs({ '/': root(0o755), '/work': root(0o755), '/work/main': root(0o755) });
    expect(blockedDirs('/work/main', POSTGRES, stat)).toEqual([]);
  });

  it('names a 0700 home on the way (a clone under /root)', () => {
    const stat = fs({
      '/': root(0o755),
      '/root': root(0o700),
      '/root/pulse': root(0o755),
      '/root/pulse/node_modules': root(0o755),
    });
    expect(blockedDirs('/root/pulse/node_modules', POSTGRES, stat)).toEqual(['/root']);
  });

  it('names a 0700 temporary directory (mkdtemp) and every other blocked one, from the top', () => {
    const stat = fs({
      '/': root(0o755),
      '/tmp': root(0o1777),
      '/tmp/clone-x1': root(0o700),
      '/tmp/clone-x1/pulse': root(0o750),
      '/tmp/clone-x1/pulse/.data': root(0o755),
    });
    expect(blockedDirs('/tmp/clone-x1/pulse/.data', POSTGRES, stat)).toEqual([
      '/tmp/clone-x1',
      '/tmp/clone-x1/pulse',
    ]);
  });

  it('stops at a directory that does not exist yet', () => {
    const stat = fs({ '/': root(0o755), '/srv': root(0o755) });
    expect(blockedDirs('/srv/pulse/.data', POSTGRES, stat)).toEqual([]);
  });

  it('counts the path itself: a data directory of mode 0700 owned by root is blocked', () => {
    const stat = fs({ '/': root(0o755), '/srv': root(0o755), '/srv/data': root(0o700) });
    expect(blockedDirs('/srv/data', POSTGRES, stat)).toEqual(['/srv/data']);
  });

  it('lets the postgres user pass a directory it owns, or one of its group with g+x', () => {
    const stat = fs({
      '/': root(0o755),
      '/home': root(0o755),
      '/home/pg': { mode: 0o700, uid: 101, gid: 104 },
      '/home/pg/shared': { mode: 0o750, uid: 0, gid: 104 },
    });
    expect(blockedDirs('/home/pg/shared', POSTGRES, stat)).toEqual([]);
  });
});
