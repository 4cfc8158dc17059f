/** Opens (and so migrates) the state store named on the command line, then exits: for concurrency tests. */
import { openStateStore } from '../../src/state/database';

void (async () => {
  const db = await openStateStore(process.argv[2] ?? '');
  await db.destroy();
})().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
