/**
 * User administration from the command line:
 *   npm run users -- add <username> --role viewer|editor|admin [--password <pw>]
 *   npm run users -- list
 * Uses DATABASE_URL, or the embedded PostgreSQL that `npm start` keeps under PULSE_DATA_DIR
 * (started for the duration of the command if it is not running).
 */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { generatePassword, hashPassword } from '@/lib/auth/password';
import { config } from '@/env';
import { createLogger } from '@/lib/observability/log';
import { createDb } from '@/db/client';
import { createUser, findUserByUsername } from '@/db/queries/auth';
import { users } from '@/db/schema';
import { prepareDatabase } from '@/workers/services/bootstrap';

const USAGE =
  'usage: npm run users -- add <username> --role viewer|editor|admin [--password <pw>]\n' +
  '       npm run users -- list';

const addSchema = z.object({
  username: z.string().regex(/^[a-zA-Z0-9_.-]{1,64}$/, 'username: 1–64 letters, digits, _ . -'),
  role: z.enum(['viewer', 'editor', 'admin'], { error: 'role: expected viewer, editor or admin' }),
  password: z.string().min(8, 'password: at least 8 characters').max(200).optional(),
});

async function main(): Promise<number> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { role: { type: 'string' }, password: { type: 'string' } },
  });
  const [command, username] = positionals;
  if (command !== 'add' && command !== 'list') {
    console.error(USAGE);
    return 2;
  }
  const cfg = config();
  const db = await prepareDatabase(cfg, createLogger('users', 'warn'));
  const handle = createDb(db.url, { max: 1, appName: 'pulse-users' });
  try {
    if (command === 'list') {
      const rows = await handle.db
        .select({ username: users.username, role: users.role, createdAt: users.createdAt })
        .from(users);
      for (const row of rows)
        console.log(`${row.username}\t${row.role}\t${row.createdAt.toISOString()}`);
      return 0;
    }
    const parsed = addSchema.safeParse({ username, role: values.role, password: values.password });
    if (!parsed.success) {
      console.error(parsed.error.issues.map((i) => i.message).join('\n') + '\n' + USAGE);
      return 2;
    }
    if (await findUserByUsername(handle.db, parsed.data.username)) {
      console.error(`user "${parsed.data.username}" already exists`);
      return 1;
    }
    const password = parsed.data.password ?? generatePassword();
    await createUser(handle.db, {
      username: parsed.data.username,
      role: parsed.data.role,
      passwordHash: await hashPassword(password),
    });
    console.log(
      `created ${parsed.data.role} "${parsed.data.username}"` +
        (parsed.data.password ? '' : ` with password: ${password}`),
    );
    return 0;
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
