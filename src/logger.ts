import pino, { type Logger } from 'pino';

/** Logs go to stderr, so stdout stays clean for tables and `--json`. */
export function createLogger(level: string): Logger {
  return pino({ level, redact: ['accessToken', '*.accessToken', 'token', '*.token'] }, pino.destination(2));
}
