import { durationOption, portOption } from '../../src/cli/options';

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
  });
});
