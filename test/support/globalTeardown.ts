import type { TemporalServer } from '../../src/temporal/server';

export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __temporal?: TemporalServer }).__temporal?.stop();
}
