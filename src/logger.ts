import pino, { type DestinationStream, type Logger } from 'pino';
import { prettyFactory } from 'pino-pretty';

/**
 * `json`: one JSON object a line, for log collectors (`backflow worker`, a service). `text`: one
 * readable line a record (`WARN: alert delivery failed {"channel":"webhook"}`, by pino-pretty), for a
 * person reading a command's output (every other command, whose in-process worker logs there too).
 */
export type LogFormat = 'json' | 'text';

const REDACT = ['accessToken', '*.accessToken', 'token', '*.token'];

/** Logs go to stderr, so stdout stays clean for tables and `--json`. */
export function createLogger(level: string, options: { format?: LogFormat; destination?: DestinationStream } = {}): Logger {
  const destination = options.destination ?? pino.destination(2);
  // The Temporal SDK logs a failure under `error`: without a serializer a plain Error became `{}`.
  if (options.format !== 'text') return pino({ level, redact: REDACT, serializers: { err: pino.stdSerializers.err, error: pino.stdSerializers.err } }, destination);
  // An Error under err/error (the Temporal SDK logs `error`) would otherwise print as a many-line stack.
  const serializers = { err: errorText, error: errorText };
  const prettify = prettyFactory({
    colorize: false,
    singleLine: true,
    // Fields a person reading the line has no use for: pino's own, and the SDK's opaque task token.
    ignore: 'time,pid,hostname,taskToken',
    // err/error are text already (errorText): kept on the one line, not printed as a block below it.
    errorLikeObjectKeys: [],
  });
  // On a terminal, each line first clears the line it starts on: a progress bar drawn there (stderr too) is redrawn below.
  const clearLine = isTerminal(destination) ? '\r\x1b[K' : '';
  const prettified: DestinationStream = { write: (line: string) => destination.write(`${clearLine}${prettify(line)}`) };
  return pino({ level, redact: REDACT, serializers }, prettified);
}

/** An Error as `type: message` (an ApplicationFailure's type, else its name unless plain `Error`); anything else unchanged. */
function errorText(value: unknown): unknown {
  if (!(value instanceof Error)) return value;
  const type = (value as { type?: unknown }).type;
  const kind = typeof type === 'string' && type ? type : value.name;
  if (!value.message) return kind;
  return kind === 'Error' ? value.message : `${kind}: ${value.message}`;
}

function isTerminal(destination: DestinationStream): boolean {
  const fd = (destination as { fd?: unknown }).fd;
  return fd === 2 ? process.stderr.isTTY === true : fd === 1 ? process.stdout.isTTY === true : false;
}
