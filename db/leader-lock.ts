/**
 * Leadership among worker processes: a session-level PostgreSQL advisory lock held on a reserved
 * connection. Whoever holds it does the work (the detector scores, the dispatcher delivers);
 * the others ask again on their next poll. When the holder dies its connection closes and
 * PostgreSQL frees the lock, so another worker takes over within one poll, with no lease to
 * expire and no clock to trust.
 */
import type { Sql } from './client';

/** How long giving the lock up may take before the connection is simply returned. */
const RELEASE_WAIT_MS = 2_000;

export interface LeaderLock {
  /**
   * True while this process holds the lock: checks the held connection is alive, or tries to
   * take the lock. A dead connection loses the lock (PostgreSQL released it) and throws.
   */
  ensure(): Promise<boolean>;
  isLeader(): boolean;
  /** Gives the lock up and returns the connection to the pool. */
  release(): Promise<void>;
}

/** The advisory lock `key` (an arbitrary constant per role) over `sql`'s pool. */
export function leaderLock(sql: Sql, key: number, onAcquired?: () => void): LeaderLock {
  let held: Awaited<ReturnType<Sql['reserve']>> | null = null;
  /** The session that took the lock: postgres.js may replace a lost connection without a word. */
  let pid: number | null = null;
  return {
    async ensure() {
      try {
        if (held) {
          const [same] = await held<{ pid: number }[]>`select pg_backend_pid() as pid`;
          if (same?.pid === pid) return true;
          // Another session: the lock went with the old one. Try again from scratch.
          held.release();
          held = null;
        }
        const conn = await sql.reserve();
        const [row] = await conn<{ locked: boolean; pid: number }[]>`
          select pg_try_advisory_lock(${key}) as locked, pg_backend_pid() as pid`;
        if (row?.locked) {
          held = conn;
          pid = row.pid;
          onAcquired?.();
          return true;
        }
        conn.release();
        return false;
      } catch (error) {
        held?.release();
        held = null;
        throw error;
      }
    },
    isLeader: () => held !== null,
    async release() {
      if (!held) return;
      const conn = held;
      held = null;
      // Bounded: on a connection PostgreSQL dropped the unlock may never answer, and the lock
      // went with that session anyway.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        conn`select pg_advisory_unlock(${key})`.catch(() => undefined),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, RELEASE_WAIT_MS))),
      ]);
      clearTimeout(timer);
      conn.release();
    },
  };
}
