import { interruptionOf } from '../../src/engine/rangeInterruption';
import { BackflowError, ConfigError, DestinationTransientError } from '../../src/errors';

describe('interruptionOf (a batch range stopped by a failure after it sent others)', () => {
  it('hands back a transient destination failure with the wait the destination named', () => {
    expect(interruptionOf(new DestinationTransientError('429 Too Many Requests', 'rate-limit', 1_500))).toEqual({
      code: 'DESTINATION_TRANSIENT',
      message: '429 Too Many Requests',
      reason: 'rate-limit',
      retryAfterMs: 1_500,
    });
    expect(interruptionOf(new DestinationTransientError('503 Service Unavailable', 'server'))).toEqual({
      code: 'DESTINATION_TRANSIENT',
      message: '503 Service Unavailable',
      reason: 'server',
    });
  });

  it('hands back an untyped failure (a busy state store, a dropped socket) under its own code', () => {
    const busy = Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
    expect(interruptionOf(busy)).toEqual({ code: 'SQLITE_BUSY', message: 'database is locked' });
    expect(interruptionOf(new TypeError('fetch failed'))).toEqual({ code: 'TypeError', message: 'fetch failed' });
  });

  it('hands back a batch another attempt took over: the attempt Temporal waits on may be the one refused', () => {
    const superseded = new BackflowError('BATCH_SUPERSEDED', 'a later attempt has taken over batch 3 of run r (or committed it); this attempt stops');
    expect(interruptionOf(superseded)).toEqual({ code: 'BATCH_SUPERSEDED', message: superseded.message });
  });

  it('never hands back a final failure: the run must fail on it', () => {
    expect(interruptionOf(new ConfigError([{ file: 'syncs/a.yaml', path: 'mode', message: 'unknown mode' }]))).toBeUndefined();
  });
});
