/**
 * A worker process on a host whose clock is off by argv[5] ms: paces requests to connection argv[3]
 * at argv[4] requests per second through the state store argv[2] for argv[6] ms (from a line on
 * stdin), then prints how many it was let through.
 */
import { pacerFor } from '../../src/engine/pacing';
import { openStateStore } from '../../src/state/database';

const [url = '', connection = '', rate = '', skewMs = '0', forMs = '0'] = process.argv.slice(2);
const hostClock = Date.now;
Date.now = () => hostClock() + Number(skewMs);

void (async () => {
  const db = await openStateStore(url);
  const pacer = pacerFor({ state: db, connection, limits: { maxBatchSize: 1, concurrency: 1, requestsPerSecond: Number(rate) } });
  if (!pacer) throw new Error('expected a pacer');
  // Ready, then told to start by a line on stdin, so every worker begins at once; timed on a monotonic clock.
  process.stdout.write('ready\n');
  await new Promise((resolve) => process.stdin.once('data', resolve));
  const end = performance.now() + Number(forMs);
  let granted = 0;
  while (performance.now() < end) {
    await pacer.acquire();
    if (performance.now() < end) granted++;
  }
  process.stdout.write(`${granted}\n`);
  await db.destroy();
  process.exit(0);
})().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
