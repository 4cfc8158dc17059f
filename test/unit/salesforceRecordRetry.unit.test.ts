import { RECORD_RETRY_FIRST_WAIT_MS, decideRecordRetry, isContention } from '../../src/destinations/salesforceRecordRetry';

const LOCKED = { code: 'UNABLE_TO_LOCK_ROW', message: 'unable to obtain exclusive access to this record or 1 records: 001000000000001AAA', fields: [] };

describe('decideRecordRetry', () => {
  it('sends a record that met a lock again three times, after 1 s, 2 s and 4 s, then lets the rejection stand', () => {
    const decisions = [0, 1, 2, 3].map((retriesDone) => decideRecordRetry({ error: LOCKED, retriesDone, cancelled: false }));
    expect(decisions).toEqual([
      { retry: true, waitMs: 1_000 },
      { retry: true, waitMs: 2_000 },
      { retry: true, waitMs: 4_000 },
      { retry: false, reason: 'retries-spent' },
    ]);
    expect(RECORD_RETRY_FIRST_WAIT_MS).toBe(1_000);
  });

  it('scales the waits by the first wait given', () => {
    expect(decideRecordRetry({ error: LOCKED, retriesDone: 2, cancelled: false, firstWaitMs: 5 })).toEqual({ retry: true, waitMs: 20 });
  });

  it('never sends again a record rejected for what it holds', () => {
    for (const code of ['INVALID_FIELD', 'DUPLICATE_VALUE', 'STRING_TOO_LONG', 'REQUIRED_FIELD_MISSING', 'ENTITY_IS_DELETED', 'UNKNOWN_EXCEPTION']) {
      expect(decideRecordRetry({ error: { code, message: 'x', fields: [] }, retriesDone: 0, cancelled: false })).toEqual({ retry: false, reason: 'not-contention' });
    }
  });

  it('sends nothing again once the run is cancelled', () => {
    expect(decideRecordRetry({ error: LOCKED, retriesDone: 0, cancelled: true })).toEqual({ retry: false, reason: 'run-cancelled' });
  });
});

describe('isContention', () => {
  it('is a lock error, also one a trigger or flow of the record met', () => {
    expect(isContention(LOCKED)).toBe(true);
    const trigger = {
      code: 'CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY',
      message: 'AccountTrigger: execution of AfterUpdate caused by: System.DmlException: Update failed. First exception on row 0; first error: UNABLE_TO_LOCK_ROW, unable to obtain exclusive access to this record: []',
      fields: [],
    };
    expect(isContention(trigger)).toBe(true);
    const flow = { code: 'CANNOT_EXECUTE_FLOW_TRIGGER', message: 'This error occurred when the flow tried to update records: UNABLE_TO_LOCK_ROW: unable to obtain exclusive access to this record.', fields: [] };
    expect(isContention(flow)).toBe(true);
  });

  it('is not a trigger failing for another reason, nor another code quoting the lock', () => {
    expect(isContention({ code: 'CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY', message: 'AccountTrigger: System.NullPointerException', fields: [] })).toBe(false);
    expect(isContention({ code: 'FIELD_CUSTOM_VALIDATION_EXCEPTION', message: 'UNABLE_TO_LOCK_ROW is not allowed here', fields: [] })).toBe(false);
  });
});
