import { once } from 'node:events';
import { BackflowError, ConfigError, type ConfigIssue } from '../errors';
import type { RunStatus } from '../state/database';
import { SourceUnavailable } from '../sources/sourceErrors';

/** Human lines go to stderr when stdout is reserved for `--json`. */
export function logTo(json: boolean): (line: string) => void {
  return (line) => (json ? process.stderr : process.stdout).write(`${line}\n`);
}

/**
 * Writes to stdout, waiting while the pipe is full: a long output streamed to a slow reader
 * (`| less`) would otherwise pile up in memory.
 */
export async function writeOut(text: string): Promise<void> {
  if (!process.stdout.write(text)) await once(process.stdout, 'drain');
}

/** A shell's exit status for a command a signal stopped. */
export function exitCodeOf(signal: NodeJS.Signals): number {
  return signal === 'SIGINT' ? 130 : 143;
}

/** The exit status of a command whose reader closed the pipe (128 + SIGPIPE), as `git log | head` gives. */
export const CLOSED_PIPE_EXIT_CODE = 141;

/**
 * A reader that stops early (`| head`, a `jq` that failed) closes the pipe under stdout or stderr: the
 * command stops there, quietly. Unhandled, the next write crashed it with a Node stack trace on stderr.
 */
export function stopOnClosedPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
      process.exit(CLOSED_PIPE_EXIT_CODE);
    });
  }
}

/**
 * Ends the command on a signal: `message` on stderr, and with `--json` the same on stdout as
 * `{"error": {"code": "INTERRUPTED", …}}`, so a script tells "stopped waiting" from a crash.
 */
export function exitOnSignal(signal: NodeJS.Signals, message: string, json: boolean): never {
  process.stderr.write(`\n${message}\n`);
  if (json) process.stdout.write(`${JSON.stringify({ error: { code: 'INTERRUPTED', message } })}\n`);
  process.exit(exitCodeOf(signal));
}

/** Exit codes: 0 succeeded, 1 failed or bad input, 2 partial (some records rejected). */
export function exitCodeFor(statuses: readonly RunStatus[]): number {
  if (statuses.includes('failed')) return 1;
  if (statuses.includes('partial')) return 2;
  return 0;
}

/** Prints an error the way a user can act on it: every config problem on its own line. */
export function reportError(err: unknown): void {
  if (err instanceof ConfigError) {
    process.stderr.write(`error: invalid configuration\n${err.issues.map((i) => `  ${i.file}: ${i.path ? `${i.path}: ` : ''}${i.message}`).join('\n')}\n`);
  } else if (err instanceof BackflowError || err instanceof SourceUnavailable) {
    process.stderr.write(`error: ${err.code}: ${err.message}\n`);
  } else {
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
  }
}

/**
 * A command's failure as `--json` callers read it on stdout (the human message still goes to stderr):
 * a stable code, the message, and for configuration errors each problem by file and path.
 */
export function errorJson(err: unknown): { error: { code: string; message: string; issues?: ConfigIssue[] } } {
  if (err instanceof ConfigError) return { error: { code: err.code, message: err.message, issues: err.issues } };
  if (err instanceof BackflowError) return { error: { code: err.code, message: err.message } };
  if (err instanceof SourceUnavailable) return { error: { code: err.code, message: err.message } };
  return { error: { code: 'ERROR', message: err instanceof Error ? err.message : String(err) } };
}
