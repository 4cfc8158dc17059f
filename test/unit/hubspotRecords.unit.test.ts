import type { DestinationRecord } from '../../src/destinations/destination';
import { mapWriteAnswer, recordErrorOf, splitDuplicates, toHubspotProperties } from '../../src/destinations/hubspotRecords';

const record = (key: string, fields: DestinationRecord['fields'] = {}): DestinationRecord => ({ key, fields, destinationId: null });

describe('toHubspotProperties', () => {
  it('sends every value as the string HubSpot stores; null clears the property', () => {
    expect(toHubspotProperties({ a: 'x', b: 38, c: 12.5, d: true, e: null, f: ['p', 'q'] })).toEqual({ a: 'x', b: '38', c: '12.5', d: 'true', e: '', f: 'p;q' });
  });
});

describe('splitDuplicates', () => {
  it('keeps the first row per HubSpot record (emails match case-insensitively) and rejects the later ones', () => {
    const { sendable, duplicates } = splitDuplicates('email', [record('ada@x.com'), record('grace@x.com'), record('ADA@x.com')]);
    expect(sendable.map((r) => r.key)).toEqual(['ada@x.com', 'grace@x.com']);
    expect(duplicates).toEqual([
      {
        key: 'ADA@x.com',
        status: 'rejected',
        error: { code: 'DUPLICATE_ID_PROPERTY', message: expect.stringContaining('"ada@x.com"') as unknown as string, fields: ['email'] },
      },
    ]);
  });

  it('compares other id properties exactly', () => {
    expect(splitDuplicates('external_id', [record('A-1'), record('a-1')]).duplicates).toEqual([]);
  });
});

describe('mapWriteAnswer', () => {
  const sent = [record('1'), record('2'), record('3'), record('4')];

  it('maps an unordered answer by trace id, else by the id property, never by position', () => {
    const answers = mapWriteAnswer({
      idProperty: 'external_id',
      sent,
      results: [
        { id: '103', objectWriteTraceId: '3', _new: true },
        { id: '101', properties: { external_id: '1' }, _new: false },
      ],
      errors: [
        {
          category: 'VALIDATION_ERROR',
          message: 'Property values were not valid: [...]',
          context: { objectWriteTraceId: ['2'] },
          errors: [{ message: 'churned was not one of the allowed options: [...]', code: 'INVALID_OPTION', context: { propertyName: ['segment'] } }],
        },
      ],
      created: (r) => r._new === true,
    });
    expect(answers.get('3')).toEqual({ key: '3', status: 'ok', destinationId: '103', created: true });
    expect(answers.get('1')).toEqual({ key: '1', status: 'ok', destinationId: '101', created: false });
    expect(answers.get('2')).toEqual({
      key: '2',
      status: 'rejected',
      error: { code: 'INVALID_OPTION', message: 'VALIDATION_ERROR: churned was not one of the allowed options: [...]', fields: ['segment'] },
    });
    // HubSpot said nothing about 4: rejected, so it is sent again next run.
    expect(answers.get('4')).toMatchObject({ status: 'rejected', error: { code: 'NO_RESULT' } });
  });

  it("shows an unanswered record HubSpot's errors that name no record, rather than nothing", () => {
    const answers = mapWriteAnswer({
      idProperty: 'external_id',
      sent: [record('1'), record('2')],
      results: [{ id: '101', objectWriteTraceId: '1', _new: false }],
      errors: [{ category: 'VALIDATION_ERROR', message: 'Property values were not valid', errors: [{ message: 'mrr must be a number', code: 'INVALID_INTEGER' }] }],
      created: () => false,
    });
    expect(answers.get('2')).toEqual({
      key: '2',
      status: 'rejected',
      error: {
        code: 'NO_RESULT',
        message: 'HubSpot answered the batch without a result or error for this record (its errors naming no record: VALIDATION_ERROR: mrr must be a number); it is sent again next run',
        fields: [],
      },
    });
  });
});

describe('recordErrorOf', () => {
  it('falls back to the category and top-level message when the entry has no details', () => {
    expect(recordErrorOf({ category: 'CONFLICT', message: 'A COMPANY with the unique value of property external_id already exists. Existing ID: 5' })).toEqual({
      code: 'CONFLICT',
      message: 'CONFLICT: A COMPANY with the unique value of property external_id already exists. Existing ID: 5',
      fields: [],
    });
  });

  it('reads the code and property out of "Property values were not valid: [...]" when HubSpot sends no errors[] details', () => {
    // As HubSpot answered it (no `errors` array), quoted from a real 400 on POST /crm/v3/objects/contacts.
    const message =
      'Property values were not valid: [{"isValid":false,"message":"Email address example.lcom is invalid","error":"INVALID_EMAIL","name":"email"},' +
      '{"isValid":false,"message":"Property \\"prop1\\" does not exist","error":"PROPERTY_DOESNT_EXIST","name":"prop1","localizedErrorMessage":"Property \\"prop1\\" does not exist","portalId":47373842}]';
    expect(recordErrorOf({ category: 'VALIDATION_ERROR', message })).toEqual({
      code: 'INVALID_EMAIL',
      message: 'VALIDATION_ERROR: Email address example.lcom is invalid; Property "prop1" does not exist',
      fields: ['email', 'prop1'],
    });
  });

  it('keeps the message whole when its list cannot be read', () => {
    const message = 'Property values were not valid: [{"isValid":false,"message":"cut sh';
    expect(recordErrorOf({ category: 'VALIDATION_ERROR', message })).toEqual({ code: 'VALIDATION_ERROR', message: `VALIDATION_ERROR: ${message}`, fields: [] });
  });
});
