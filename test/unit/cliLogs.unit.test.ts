import { ApplicationFailure } from '@temporalio/common';
import { createLogger, type LogFormat } from '../../src/logger';

/** A logger writing to an array instead of stderr, and the lines it wrote. */
function capture(format: LogFormat, level = 'warn'): { logger: ReturnType<typeof createLogger>; lines: string[] } {
  const lines: string[] = [];
  const logger = createLogger(level, { format, destination: { write: (line: string) => void lines.push(...line.split('\n').filter(Boolean)) } });
  return { logger, lines };
}

describe('CLI logs', () => {
  it('text: one readable line a record, `LEVEL: msg {fields}` (pino-pretty, one line)', () => {
    const { logger, lines } = capture('text');
    logger.warn({ channel: 'webhook', err: 'fetch failed', sync: 'accounts', status: 503, retry: false }, 'alert delivery failed');
    logger.error('no fields');
    expect(lines).toEqual([
      'WARN: alert delivery failed {"channel":"webhook","err":"fetch failed","sync":"accounts","status":503,"retry":false}',
      'ERROR: no fields',
    ]);
  });

  it('text: keeps the level (info is dropped at warn) and the redaction of tokens', () => {
    const { logger, lines } = capture('text');
    logger.info({ sync: 'accounts' }, 'not shown');
    logger.warn({ connection: { accessToken: 'secret-1', url: 'http://x' }, token: 'secret-2' }, 'refused');
    expect(lines).toEqual(['WARN: refused {"connection":{"accessToken":"[Redacted]","url":"http://x"},"token":"[Redacted]"}']);
  });

  it('text: an error is its type and message on the line (not `{}` or a stack); the SDK’s task token is left out', () => {
    const { logger, lines } = capture('text');
    logger.warn(
      { activityType: 'syncBatches', taskToken: 'CiQwMWEy…', error: ApplicationFailure.nonRetryable('token revoked', 'DESTINATION_AUTH_FAILED') },
      'Activity failed',
    );
    logger.error({ err: new TypeError('boom') }, 'crashed');
    logger.error({ err: new Error('plain') }, 'crashed');
    expect(lines).toEqual([
      'WARN: Activity failed {"activityType":"syncBatches","error":"DESTINATION_AUTH_FAILED: token revoked"}',
      'ERROR: crashed {"err":"TypeError: boom"}',
      'ERROR: crashed {"err":"plain"}',
    ]);
  });

  it('json (backflow worker): one JSON object a line, as before', () => {
    const { logger, lines } = capture('json');
    logger.warn({ sync: 'accounts', token: 'secret' }, 'alert delivery failed');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({ level: 40, msg: 'alert delivery failed', sync: 'accounts', token: '[Redacted]' });
  });

  it('json: an Error under `error` or `err` keeps its type, message and stack (the SDK\'s "Workflow failed" showed `{}`)', () => {
    const { logger, lines } = capture('json');
    logger.warn({ error: new Error('payload is encrypted with key k2, this process has k1') }, 'Workflow failed');
    logger.error({ err: new TypeError('boom') }, 'crashed');
    const [first, second] = lines.map((line) => JSON.parse(line) as Record<string, { type?: string; message?: string; stack?: string }>);
    expect(first?.error).toMatchObject({ type: 'Error', message: 'payload is encrypted with key k2, this process has k1', stack: expect.stringContaining('Error: payload') as unknown });
    expect(second?.err).toMatchObject({ type: 'TypeError', message: 'boom' });
  });
});
