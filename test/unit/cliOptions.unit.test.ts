import { durationOption, isoDateOption, limitOption, originsOption, portOption } from '../../src/cli/options';

describe('CLI flag values', () => {
  it('takes a port 0–65535 and names the flag for anything else', () => {
    expect(portOption('0')).toBe(0);
    expect(portOption('8888')).toBe(8888);
    for (const bad of ['abc', '', '-1', '65536', '80.5', '1e3']) {
      expect(() => portOption(bad)).toThrow(`--port ${bad}: not a port number (0–65535)`);
    }
  });

  it('takes a duration longer than 0, as the config does: --older-than 0d would delete every result', () => {
    expect(durationOption('--older-than', '30d')).toBe(30 * 24 * 3600 * 1000);
    expect(() => durationOption('--older-than', '0d')).toThrow('--older-than: "0d" must be longer than 0');
    expect(() => durationOption('--older-than', 'soon')).toThrow('--older-than: "soon" is not a duration like 30d, 12h or 90m');
    // A cutoff that far back is no date: prune failed with "Invalid time value".
    expect(() => durationOption('--older-than', '99999999999999999d')).toThrow('--older-than: "99999999999999999d" must be at most 36500d (100 years)');
    expect(durationOption('--older-than', '36500d')).toBe(36_500 * 86_400_000);
  });

  it('takes an ISO-8601 date, or a date and time with its zone, for --from and --to; nothing JavaScript merely guesses at', () => {
    expect(isoDateOption('--from', '2025-01-31').toISOString()).toBe('2025-01-31T00:00:00.000Z');
    expect(isoDateOption('--from', '2025-01-31T06:30Z').toISOString()).toBe('2025-01-31T06:30:00.000Z');
    expect(isoDateOption('--to', '2025-01-31T06:30:00+02:00').toISOString()).toBe('2025-01-31T04:30:00.000Z');
    // `1` read as 2001-01-01 (a backfill of a month of runs); a time without a zone as local time.
    for (const bad of ['1', '2025-01-31T06:30', 'Jan 31 2025', '2025-02-30x', '2025-13-01', '2025-02-30', '2025-02-31T00:00:00Z']) {
      expect(() => isoDateOption('--from', bad)).toThrow(`--from: "${bad}" is not an ISO-8601 date`);
    }
  });

  it("takes --origin values in the browser's Origin form, which CORS compares as text", () => {
    // An address bar's trailing slash, a host's capitals, a default port: the form the browser sends.
    expect(originsOption('http://localhost:8233/, HTTP://Temporal.Example.com:443,https://temporal.example.com:443')).toEqual([
      'http://localhost:8233',
      'http://temporal.example.com:443',
      'https://temporal.example.com',
    ]);
    for (const bad of ['localhost:8233', '127.0.0.1:8233', 'http://localhost:8233/web', 'http://localhost:8233/?x=1', 'ftp://localhost', 'notaurl']) {
      expect(() => originsOption(`http://localhost:8233,${bad}`)).toThrow(`--origin ${bad}: not an origin like http://localhost:8233 (scheme, host and port, no path)`);
    }
  });

  it('takes a --limit of 1 or more, a whole number', () => {
    expect(limitOption('1')).toBe(1);
    expect(limitOption('5000')).toBe(5000);
    for (const bad of ['0', '-1', '2.5', 'all', '', '1e3', '99999999999999999999']) {
      expect(() => limitOption(bad)).toThrow(`--limit ${bad}: not a whole number of 1 or more`);
    }
  });
});
