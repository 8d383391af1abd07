/**
 * Shards of work among worker processes, one PostgreSQL advisory lock per shard, held at session
 * level on one reserved connection per process (like ./leader-lock.ts, which is the one-shard
 * case). Every process also holds a shared "member" lock on the same connection, so each can
 * count the live processes in pg_locks and hold only its fair share (lib/detection/shards.ts
 * `planShards`): a newcomer gets shards as the others give their extra ones back, and when a
 * process dies PostgreSQL ends its session, frees its locks, and the others take its shards at
 * their next poll — no lease to expire and no clock to trust.
 */
import { fairShare, planShards } from '@/lib/detection/shards';
import type { Sql } from './client';

/** How long giving the locks up may take before the connection is simply returned. */
const RELEASE_WAIT_MS = 2_000;
/** The member lock's second key: no shard has it. */
const MEMBER = -1;

export interface ShardLocks {
  /**
   * Takes or gives back shards towards this process's fair share of `shards`, and returns the
   * shards it holds now. A dead connection loses them all (PostgreSQL released them) and
   * throws; the next call starts again.
   */
  ensure(shards: number): Promise<ReadonlySet<number>>;
  /** The shards held after the last `ensure`. */
  held(): ReadonlySet<number>;
  /**
   * The backend pid of the session holding the locks (null before the first `ensure`): a
   * scoring transaction checks in pg_locks that this session still holds its shard, since the
   * holder learns of a lost connection only at its next `ensure`.
   */
  pid(): number | null;
  /** Gives every lock up and returns the connection to the pool. */
  release(): Promise<void>;
}

/**
 * Shard locks in the namespace `key` (an arbitrary int4 constant per role): shard s is the
 * advisory lock (key, s). `onChange` hears what was taken and given back.
 */
export function shardLocks(
  sql: Sql,
  key: number,
  onChange?: (change: { taken: number[]; released: number[]; held: number[] }) => void,
): ShardLocks {
  let conn: Awaited<ReturnType<Sql['reserve']>> | null = null;
  let pid: number | null = null;
  let held = new Set<number>();
  const drop = () => {
    conn?.release();
    conn = null;
    pid = null;
    held = new Set();
  };
  /** This session's pid; postgres.js may have replaced a lost connection without a word. */
  const sessionPid = async () => {
    const [row] = await conn!<{ pid: number }[]>`select pg_backend_pid() as pid`;
    return row!.pid;
  };
  return {
    async ensure(shards) {
      try {
        if (!conn) conn = await sql.reserve();
        const now = await sessionPid();
        if (now !== pid) {
          // A new session (the first, or one that replaced a lost connection): whatever was
          // held went with the old one.
          if (pid !== null && held.size > 0) {
            onChange?.({ taken: [], released: [...held], held: [] });
          }
          held = new Set();
          await conn`select pg_advisory_lock_shared(${key}::int, ${MEMBER}::int)`;
          pid = now;
        }
        // Advisory locks with two int4 keys show in pg_locks as classid/objid, objsubid = 2;
        // only this database's workers count (other databases may share the server).
        const [row] = await conn<{ workers: number }[]>`
          select count(*)::int as workers from pg_locks
          where locktype = 'advisory' and classid = ${key}::oid and objid = ${MEMBER}::int::oid
            and objsubid = 2 and mode = 'ShareLock' and granted
            and database = (select oid from pg_database where datname = current_database())`;
        const workers = row?.workers ?? 1;
        const plan = planShards(held, shards, workers);
        const taken: number[] = [];
        const released: number[] = [];
        for (const s of plan.release) {
          await conn`select pg_advisory_unlock(${key}::int, ${s}::int)`;
          held.delete(s);
          released.push(s);
        }
        for (const s of plan.take) {
          if (held.size >= fairShare(shards, workers)) break;
          const [got] = await conn<{ locked: boolean }[]>`
            select pg_try_advisory_lock(${key}::int, ${s}::int) as locked`;
          if (got?.locked) {
            held.add(s);
            taken.push(s);
          }
        }
        if (taken.length > 0 || released.length > 0) {
          onChange?.({ taken, released, held: [...held].sort((a, b) => a - b) });
        }
        return held;
      } catch (error) {
        drop();
        throw error;
      }
    },
    held: () => held,
    pid: () => pid,
    async release() {
      if (!conn) return;
      const c = conn;
      conn = null;
      pid = null;
      held = new Set();
      // Bounded: on a connection PostgreSQL dropped the unlock may never answer, and the locks
      // went with that session anyway.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        c`select pg_advisory_unlock_all()`.catch(() => undefined),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, RELEASE_WAIT_MS))),
      ]);
      clearTimeout(timer);
      c.release();
    },
  };
}
