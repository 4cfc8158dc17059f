import { execFileSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { BackflowError } from '../errors';

/** Lock files this process holds: its own pid in a lock it does not hold is a stale one (a container's pid 1 again). */
const held = new Set<string>();

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, run by another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The lock file's lines: the command's pid, then (once started) its dev server's. */
function readLock(lockFile: string): { holder: number; server: number } {
  const [holder, server] = readFileSync(lockFile, 'utf8').split('\n').map((line) => Number(line.trim()));
  return { holder: holder ?? Number.NaN, server: server ?? Number.NaN };
}

/** The command line of a process, or undefined when it cannot be read (gone, another OS's rules). */
function commandLineOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    try {
      return execFileSync('ps', ['-o', 'args=', '-p', String(pid)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    } catch {
      return undefined;
    }
  }
}

/** True when `pid` is a dev server on `dbFile` (not another process that got the pid since). */
function isDevServerOn(pid: number, dbFile: string): boolean {
  const command = commandLineOf(pid);
  return command !== undefined && command.includes('start-dev') && command.includes(dbFile);
}

export interface DevServerDbLock {
  /** Records the dev server started on the database, so that a later command can stop it if this one is SIGKILLed. */
  serverStarted(pid: number): void;
  release(): void;
  /** A dev server a killed command left running on the database (its pid): stop it before starting another. */
  orphan?: number;
}

/**
 * Takes a project's embedded dev-server database for this process (`<db>.lock` holds its pid, then
 * its dev server's); see DevServerDbLock. Two commands on one project each started a dev server on the
 * same SQLite file: the second failed with `SQLITE_BUSY` or a Go stack dump, and could break the
 * first's run. A lock whose command is gone (killed) is taken over, and the dev server that command
 * left running is named as `orphan` (detached, it outlives a SIGKILL and keeps the database open).
 */
export function lockDevServerDatabase(dbFile: string): DevServerDbLock {
  const lockFile = `${dbFile}.lock`;
  let orphan: number | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(lockFile, 'wx');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let lock: { holder: number; server: number };
      try {
        lock = readLock(lockFile);
      } catch {
        continue; // released meanwhile
      }
      const { holder, server } = lock;
      const heldHere = held.has(lockFile);
      if (heldHere || (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder))) {
        throw new BackflowError(
          'TEMPORAL_DB_IN_USE',
          `another backflow command (pid ${holder}) is using this project's embedded Temporal (${dbFile}): wait for it to finish, ` +
            'or start one dev server (temporal server start-dev) and point every command at it with TEMPORAL_ADDRESS',
        );
      }
      if (Number.isInteger(server) && server > 0 && isAlive(server) && isDevServerOn(server, dbFile)) orphan = server;
      try {
        unlinkSync(lockFile); // its process is gone
      } catch {
        // taken over by another process meanwhile: the next attempt sees its lock
      }
      continue;
    }
    writeSync(fd, String(process.pid));
    closeSync(fd);
    held.add(lockFile);
    let released = false;
    const ours = () => {
      try {
        return readLock(lockFile).holder === process.pid;
      } catch {
        return false;
      }
    };
    const release = () => {
      if (released) return;
      released = true;
      held.delete(lockFile);
      process.off('exit', release);
      if (ours()) unlinkSync(lockFile);
    };
    process.on('exit', release);
    return {
      release,
      serverStarted(pid: number) {
        if (!released && ours()) writeFileSync(lockFile, `${process.pid}\n${pid}`);
      },
      ...(orphan !== undefined ? { orphan } : {}),
    };
  }
  throw new BackflowError('TEMPORAL_DB_IN_USE', `could not take ${lockFile}: other commands keep taking it`);
}

/** Stops a dev server a killed command left behind (see DevServerDbLock.orphan): SIGTERM, then SIGKILL after `graceMs`. */
export async function stopOrphanedServer(pid: number, graceMs = 10_000): Promise<void> {
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(pid, name);
    } catch {
      // gone already
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await delay(100);
  if (!isAlive(pid)) return;
  signal('SIGKILL');
  while (isAlive(pid)) await delay(50);
}
