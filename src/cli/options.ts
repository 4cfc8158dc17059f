import { durationMs } from '../config/schema';
import { BackflowError } from '../errors';

/** A `--port` value: an integer 0–65535 (0: any free port), or an error naming the flag. */
export function portOption(value: string): number {
  const port = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new BackflowError('CONFIG_INVALID', `--port ${value}: not a port number (0–65535)`);
  return port;
}

/** A duration flag like `--older-than 30d`: longer than 0, as the config's durations are. */
export function durationOption(flag: string, value: string): number {
  const ms = durationMs(value);
  if (ms === undefined) throw new BackflowError('CONFIG_INVALID', `${flag}: "${value}" is not a duration like 30d, 12h or 90m`);
  if (ms <= 0) throw new BackflowError('CONFIG_INVALID', `${flag}: "${value}" must be longer than 0`);
  return ms;
}
