import { execFileSync } from 'node:child_process';
import path from 'node:path';
import type { TemporalServer } from '../../src/temporal/server';

export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __temporal?: TemporalServer }).__temporal?.stop();
  if (process.env.BACKFLOW_TEST_PG_STARTED === '1') {
    execFileSync('bash', [path.resolve(__dirname, '..', '..', 'scripts', 'postgres.sh'), 'stop']);
  }
}
