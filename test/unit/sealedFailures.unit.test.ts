import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { sealFailure } from '../../src/temporal/sealedFailures';
import { sealedMessageOf } from '../../workflows/sealedMessage';

const ROW_VALUE = "Could not convert string 'ann@example.com' to INT32";

describe('sealFailure', () => {
  it('moves an engine failure\'s message into its details, keeping its code and retry decision', () => {
    const original = ApplicationFailure.create({ type: 'DESTINATION_TRANSIENT', message: ROW_VALUE, nonRetryable: false, nextRetryDelay: 5_000 });
    const sealed = sealFailure(original) as ApplicationFailure;
    expect(sealed).toBeInstanceOf(ApplicationFailure);
    expect(sealed.type).toBe('DESTINATION_TRANSIENT');
    expect(sealed.nonRetryable).toBe(false);
    expect(sealed.nextRetryDelay).toBe(5_000);
    expect(clearTextOf(sealed)).not.toContain('ann@example.com');
    expect(sealedMessageOf(sealed)).toBe(ROW_VALUE);
  });

  it('keeps a final failure final', () => {
    const sealed = sealFailure(ApplicationFailure.create({ type: 'SOURCE_QUERY_FAILED', message: ROW_VALUE, nonRetryable: true })) as ApplicationFailure;
    expect(sealed.nonRetryable).toBe(true);
    expect(sealed.message).toBe('SOURCE_QUERY_FAILED: the message is encrypted with BACKFLOW_PAYLOAD_KEY (in the failure\'s details; backflow runs shows it)');
  });

  it('seals an untyped error too, by its name, still retried', () => {
    const err = new Error('duplicate key value violates unique constraint: Key (key)=(ann@example.com) already exists');
    err.name = 'DatabaseError';
    const sealed = sealFailure(err) as ApplicationFailure;
    expect(sealed.type).toBe('DatabaseError');
    expect(sealed.nonRetryable).toBe(false);
    expect(clearTextOf(sealed)).not.toContain('ann@example.com');
    expect(sealedMessageOf(sealed)).toBe(err.message);
  });

  it('passes a cancellation, a sealed failure and a non-error as they are', () => {
    const cancelled = new CancelledFailure('cancelled');
    expect(sealFailure(cancelled)).toBe(cancelled);
    const sealed = sealFailure(new Error(ROW_VALUE));
    expect(sealFailure(sealed)).toBe(sealed);
    expect(sealFailure('text')).toBe('text');
  });
});

/** What Temporal keeps in the clear of a failure: its message and stack trace. */
function clearTextOf(failure: ApplicationFailure): string {
  return `${failure.message}\n${failure.stack ?? ''}`;
}
