import { StoreChannelPacer } from '../../src/engine/channelPacing';
import { pacerFor } from '../../src/engine/pacing';
import { DestinationTransientError } from '../../src/errors';
import { openStateStore, type StateDb } from '../../src/state/database';
import { bucketRate, takeToken } from '../../src/state/pacing';

let db: StateDb;
beforeEach(async () => {
  db = await openStateStore('sqlite::memory:');
});
afterEach(async () => {
  await db.destroy();
});

/** A pacer on a fake clock: `sleep` advances time, so the test counts what a second admits. */
function pacedOnFakeClock(requestsPerSecond: number, connection = 'crm') {
  let clock = 1_000_000;
  const slept: number[] = [];
  const pacer = pacerFor({
    state: db,
    connection,
    limits: { maxBatchSize: 100, concurrency: 1, requestsPerSecond },
    now: () => clock,
    sleep: async (ms) => {
      slept.push(ms);
      clock += ms;
    },
  });
  if (!pacer) throw new Error('expected a pacer');
  return { pacer, slept, elapsed: () => clock - 1_000_000 };
}

describe('pacing shared through the state store', () => {
  it('admits requests at the configured rate', async () => {
    const { pacer, elapsed } = pacedOnFakeClock(10);
    for (let i = 0; i < 21; i++) await pacer.acquire();
    // One token to start with, then one every 100 ms.
    expect(elapsed()).toBe(2_000);
  });

  it('never gives one token to two takers', async () => {
    const spec = { bucket: 'b', maxRate: 5, burst: 1 };
    expect(await takeToken(db, spec, 0)).toBe(0);
    expect(await takeToken(db, spec, 0)).toBe(200);
    expect(await takeToken(db, spec, 199)).toBe(1);
    expect(await takeToken(db, spec, 200)).toBe(0);
  });

  it('charges the extra requests of a write to the bucket', async () => {
    const { pacer, elapsed } = pacedOnFakeClock(10);
    await pacer.acquire();
    await pacer.settle({ apiCalls: 3 });
    await pacer.acquire();
    expect(elapsed()).toBe(300);
  });

  it('halves the rate on a rate-limit answer and creeps back on clean ones (AIMD)', async () => {
    const { pacer } = pacedOnFakeClock(10);
    await pacer.acquire();
    await pacer.settle({ error: new DestinationTransientError('429', 'rate-limit', 10_000) });
    expect(await bucketRate(db, 'destination:crm')).toBe(5);
    await pacer.settle({ error: new DestinationTransientError('503', 'server-error') });
    expect(await bucketRate(db, 'destination:crm')).toBe(5);
    for (let i = 0; i < 3; i++) await pacer.settle({ apiCalls: 1 });
    expect(await bucketRate(db, 'destination:crm')).toBe(6.5);
    for (let i = 0; i < 20; i++) await pacer.settle({ apiCalls: 1 });
    expect(await bucketRate(db, 'destination:crm')).toBe(10);
  });

  it('keeps one bucket per connection', async () => {
    const a = pacedOnFakeClock(1, 'a');
    const b = pacedOnFakeClock(1, 'b');
    await a.pacer.acquire();
    await b.pacer.acquire();
    expect(a.slept).toEqual([]);
    expect(b.slept).toEqual([]);
  });

  it('paces nothing when the destination has no rate', () => {
    expect(pacerFor({ state: db, connection: 'x', limits: { maxBatchSize: 1, concurrency: 1 } })).toBeNull();
  });
});

describe('Slack channel pacing shared through the state store', () => {
  it('keeps two workers posting to one channel to one message a second together; other channels go at once', async () => {
    let clock = 5_000;
    const slept: number[] = [];
    const sleep = async (ms: number) => {
      slept.push(ms);
      clock += ms;
    };
    // Two pacers on one store: two worker processes, each with its own destination.
    const workerA = new StoreChannelPacer(db, () => clock, sleep);
    const workerB = new StoreChannelPacer(db, () => clock, sleep);
    await workerA.wait('https://slack.test/api/|C1');
    await workerB.wait('https://slack.test/api/|C1');
    await workerA.wait('https://slack.test/api/|C2');
    clock += 400;
    await workerA.wait('https://slack.test/api/|C1');
    expect(slept).toEqual([1_000, 600]);
  });

  it('never stores the channel key in the clear (an incoming webhook URL is its secret)', async () => {
    const url = 'https://hooks.slack.test/services/T0/B0/secret-part';
    await new StoreChannelPacer(db).wait(url);
    const buckets = await db.selectFrom('pacing_buckets').select('bucket').execute();
    expect(buckets).toHaveLength(1);
    expect(buckets[0]?.bucket).not.toContain('secret-part');
  });
});
