import { LogLevel, type Logger } from '@slack/web-api';

/** For @slack/web-api clients in tests: it logs Slack's warnings and `[ERROR]` response messages; keep test output quiet. */
export const silentSlackLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  setLevel: () => undefined,
  getLevel: () => LogLevel.ERROR,
  setName: () => undefined,
};
