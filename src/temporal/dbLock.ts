import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
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

/**
 * Takes a project's embedded dev-server database for this process (`<db>.lock` holds its pid);
 * returns the release. Two commands on one project each started a dev server on the same SQLite
 * file: the second failed with `SQLITE_BUSY` or a Go stack dump, and could break the first's run.
 * A lock whose process is gone (killed) is taken over.
 */
export function lockDevServerDatabase(dbFile: string): () => void {
  const lockFile = `${dbFile}.lock`;
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(lockFile, 'wx');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let holder = Number.NaN;
      try {
        holder = Number(readFileSync(lockFile, 'utf8').trim());
      } catch {
        continue; // released meanwhile
      }
      const heldHere = held.has(lockFile);
      if (heldHere || (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder))) {
        throw new BackflowError(
          'TEMPORAL_DB_IN_USE',
          `another backflow command (pid ${holder}) is using this project's embedded Temporal (${dbFile}): wait for it to finish, ` +
            'or start one dev server (temporal server start-dev) and point every command at it with TEMPORAL_ADDRESS',
        );
      }
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
    const release = () => {
      if (released) return;
      released = true;
      held.delete(lockFile);
      process.off('exit', release);
      try {
        if (readFileSync(lockFile, 'utf8').trim() === String(process.pid)) unlinkSync(lockFile);
      } catch {
        // already gone
      }
    };
    process.on('exit', release);
    return release;
  }
  throw new BackflowError('TEMPORAL_DB_IN_USE', `could not take ${lockFile}: other commands keep taking it`);
}
