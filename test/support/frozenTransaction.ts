/**
 * Opens the state store named on the command line and locks batch 1 of run argv[3] as a batch commit
 * does (SELECT … FOR UPDATE), prints "locked", then never ends the transaction: the parent stops
 * this process (SIGSTOP) to play a worker frozen mid-commit.
 */
import { sql } from 'kysely';
import { openStateStore } from '../../src/state/database';

void (async () => {
  const db = await openStateStore(process.argv[2] ?? '');
  await db.transaction().execute(async (trx) => {
    await sql`SELECT * FROM batches WHERE run_id = ${process.argv[3] ?? ''} AND batch_no = 1 FOR UPDATE`.execute(trx);
    process.stdout.write('locked\n');
    await new Promise(() => undefined);
  });
})().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
