import { sql, type RawBuilder } from 'kysely';
import type { StateDb } from './database';
import { isPostgres } from './dialect';

/**
 * Token buckets in the state store, one per destination connection: every worker process (on any host
 * sharing the store) draws from the same bucket, so together they keep to the destination's budget.
 * Each step is ONE statement, atomic on SQLite and PostgreSQL alike, so no two workers take the same
 * token and no transaction has to be upgraded from read to write.
 */
export interface BucketSpec {
  bucket: string;
  /** The configured rate (requests per second); the bucket's rate never rises above it. */
  maxRate: number;
  /** Tokens a bucket holds when idle: how many requests may go at once after a pause. */
  burst: number;
}

/** The lowest share of the configured rate AIMD backs off to. */
const FLOOR_SHARE = 0.05;

/**
 * The bucket's time: the caller's clock when it gives one (a test's), else the store's own. Workers on
 * several hosts stamped the bucket each with their own clock: one a little behind the others saw its
 * refill as not yet begun (their stamp in its future) and was starved for as long as they had work.
 */
function clockOf(db: StateDb, nowMs: number | undefined): RawBuilder<number> {
  if (nowMs !== undefined) return sql<number>`${nowMs}`;
  // statement_timestamp(): one instant for the whole statement, read on the server.
  return isPostgres(db)
    ? sql<number>`(extract(epoch from statement_timestamp()) * 1000)::double precision`
    : sql<number>`((julianday('now') - 2440587.5) * 86400000.0)`;
}

function refilled(spec: BucketSpec, nowMs: RawBuilder<number>) {
  const elapsed = sql`(CASE WHEN ${nowMs} > updated_ms THEN ${nowMs} - updated_ms ELSE 0 END)`;
  const grown = sql`tokens + ${elapsed} * rate / 1000.0`;
  return sql<number>`(CASE WHEN ${grown} > ${spec.burst} THEN ${spec.burst} ELSE ${grown} END)`;
}

async function ensureBucket(db: StateDb, spec: BucketSpec, nowMs: RawBuilder<number>): Promise<void> {
  await db
    .insertInto('pacing_buckets')
    .values({ bucket: spec.bucket, tokens: spec.burst, updated_ms: nowMs, rate: spec.maxRate })
    .onConflict((oc) => oc.column('bucket').doNothing())
    .execute();
}

/**
 * Takes one token: 0 when taken, else the milliseconds until one will be due (then ask again).
 * `nowMs`: the time by the caller's clock; without it, the store's clock (see clockOf).
 */
export async function takeToken(db: StateDb, spec: BucketSpec, nowMs?: number): Promise<number> {
  const now = clockOf(db, nowMs);
  await ensureBucket(db, spec, now);
  const available = refilled(spec, now);
  const taken = await sql`
    UPDATE pacing_buckets SET tokens = ${available} - 1, updated_ms = ${now},
      rate = CASE WHEN rate > ${spec.maxRate} THEN ${spec.maxRate} ELSE rate END
    WHERE bucket = ${spec.bucket} AND ${available} >= 1`.execute(db);
  if (Number(taken.numAffectedRows ?? 0) > 0) return 0;
  const row = await db
    .selectFrom('pacing_buckets')
    .select((eb) => [eb.ref('rate').as('rate'), available.as('available')])
    .where('bucket', '=', spec.bucket)
    .executeTakeFirstOrThrow();
  const rate = Math.min(Number(row.rate), spec.maxRate);
  // The epsilon keeps float noise (0.005 / 5 × 1000 = 1.0000000000000009) from adding a millisecond.
  return Math.max(1, Math.ceil(((1 - Number(row.available)) / rate) * 1000 - 1e-9));
}

/** Waits (sleeping as takeToken advises) until it has taken a token; `now` as takeToken's, the store's clock when absent. */
export async function acquireToken(db: StateDb, spec: BucketSpec, now: (() => number) | undefined, sleep: (ms: number) => Promise<void>): Promise<void> {
  for (;;) {
    const waitMs = await takeToken(db, spec, now?.());
    if (waitMs === 0) return;
    await sleep(waitMs);
  }
}

/** Charges requests made beyond the one token taken (a look-up before a write, say). */
export async function chargeTokens(db: StateDb, bucket: string, tokens: number): Promise<void> {
  if (tokens <= 0) return;
  await sql`UPDATE pacing_buckets SET tokens = tokens - ${tokens} WHERE bucket = ${bucket}`.execute(db);
}

/** Multiplicative decrease after a rate-limit answer: halve the rate and drop the saved-up burst. */
export async function slowDown(db: StateDb, spec: BucketSpec): Promise<void> {
  const floor = spec.maxRate * FLOOR_SHARE;
  await sql`
    UPDATE pacing_buckets SET rate = CASE WHEN rate * 0.5 < ${floor} THEN ${floor} ELSE rate * 0.5 END,
      tokens = CASE WHEN tokens > 0 THEN 0 ELSE tokens END
    WHERE bucket = ${spec.bucket}`.execute(db);
}

/** Additive increase after a clean answer: a twentieth of the configured rate, up to it. */
export async function speedUp(db: StateDb, spec: BucketSpec): Promise<void> {
  const step = spec.maxRate / 20;
  await sql`
    UPDATE pacing_buckets SET rate = CASE WHEN rate + ${step} > ${spec.maxRate} THEN ${spec.maxRate} ELSE rate + ${step} END
    WHERE bucket = ${spec.bucket} AND rate < ${spec.maxRate}`.execute(db);
}

export async function bucketRate(db: StateDb, bucket: string): Promise<number | undefined> {
  const row = await db.selectFrom('pacing_buckets').select('rate').where('bucket', '=', bucket).executeTakeFirst();
  return row ? Number(row.rate) : undefined;
}
