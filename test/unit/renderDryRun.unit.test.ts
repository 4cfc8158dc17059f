import { renderDryRun } from '../../src/cli/render';

const counts = { extracted: 4, added: 0, changed: 1, removed: 0, unchanged: 3, invalid: 0, skipped: 0, batches: 1 };

describe('the dry run line', () => {
  it('says "1 API call" and "1 row", not "1 API calls"', () => {
    expect(renderDryRun('accounts_to_hubspot', { ...counts, extracted: 1, unchanged: 0, apiCalls: 1, estimatedSeconds: 1 })).toBe(
      "dry run of accounts_to_hubspot: 1 row, 0 added, 1 changed, 0 removed, 0 unchanged, 0 invalid, 0 skipped → 1 API call (about 1 s at the destination's request budget)",
    );
  });

  it('keeps the plural for none and for many, and names the bytes a model scans', () => {
    expect(renderDryRun('s', { ...counts, apiCalls: 0 })).toBe('dry run of s: 4 rows, 0 added, 1 changed, 0 removed, 3 unchanged, 0 invalid, 0 skipped → 0 API calls');
    expect(renderDryRun('s', { ...counts, apiCalls: 12, bytesProcessed: 1 })).toBe(
      'dry run of s: 4 rows, 0 added, 1 changed, 0 removed, 3 unchanged, 0 invalid, 0 skipped → 12 API calls; the model scans 1 byte',
    );
  });
});
