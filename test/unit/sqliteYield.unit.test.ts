import { sql } from 'kysely';
import { openStateStore, type StateDb } from '../../src/state/database';
import { SQLITE_YIELD_AFTER_MS } from '../../src/state/sqliteYield';

/** A query that keeps SQLite busy for a while: counts to `n` in a recursive CTE. */
const busyQuery = (n: number) => sql`WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ${n}) SELECT count(*) AS n FROM c`;

let db: StateDb;
beforeEach(async () => {
  db = await openStateStore('sqlite::memory:');
});
afterEach(async () => {
  await db.destroy();
});

test('a long transaction of synchronous SQLite queries lets timers (an activity heartbeat) fire while it runs', async () => {
  // Size one query to ~1/10 of the yield threshold on this machine, then hold the loop for ~10
  // thresholds: a machine busy with other work (CI's other test file) let only 2 ticks in 5.
  const probeStarted = performance.now();
  await busyQuery(200_000).execute(db);
  const probeMs = Math.max(1, performance.now() - probeStarted);
  const perQuery = Math.max(1_000, Math.round((200_000 * SQLITE_YIELD_AFTER_MS) / 10 / probeMs));

  let ticks = 0;
  const heartbeat = setInterval(() => ticks++, 10);
  let ticksDuringTransaction = -1;
  const started = performance.now();
  try {
    await db.transaction().execute(async (trx) => {
      while (performance.now() - started < 10 * SQLITE_YIELD_AFTER_MS) await busyQuery(perQuery).execute(trx);
      ticksDuringTransaction = ticks;
    });
  } finally {
    clearInterval(heartbeat);
  }
  // Without yielding, the interval could not run before the transaction handed back control: 0 ticks.
  expect(ticksDuringTransaction).toBeGreaterThanOrEqual(3);
});

test('queries that do not hold the event loop long are not delayed', async () => {
  let ticks = 0;
  const timer = setInterval(() => ticks++, 1);
  try {
    await db.transaction().execute(async (trx) => {
      for (let i = 0; i < 50; i++) await sql`SELECT 1`.execute(trx);
    });
  } finally {
    clearInterval(timer);
  }
  expect(ticks).toBe(0);
});
