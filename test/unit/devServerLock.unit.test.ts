import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { lockDevServerDatabase, stopOrphanedServer } from '../../src/temporal/dbLock';

const dbFile = () => path.join(mkdtempSync(path.join(tmpdir(), 'backflow-dblock-')), 'temporal.db');

describe("one command at a time on a project's embedded Temporal database", () => {
  it('refuses a second taker while the first holds it, naming its pid, and lets one in once released', () => {
    const db = dbFile();
    const { release } = lockDevServerDatabase(db);
    expect(readFileSync(`${db}.lock`, 'utf8')).toBe(String(process.pid));
    // Another live process holds it (here: this one's parent, standing in for a second command).
    writeFileSync(`${db}.lock`, String(process.ppid));
    expect(() => lockDevServerDatabase(db)).toThrow(
      expect.objectContaining({ code: 'TEMPORAL_DB_IN_USE', message: expect.stringContaining(`another backflow command (pid ${process.ppid}) is using`) as unknown }),
    );
    writeFileSync(`${db}.lock`, String(process.pid));
    release();
    expect(existsSync(`${db}.lock`)).toBe(false);
    lockDevServerDatabase(db).release();
  });

  it('takes over the lock of a process that is gone (a killed command)', () => {
    const db = dbFile();
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    writeFileSync(`${db}.lock`, gone);
    const lock = lockDevServerDatabase(db);
    expect(readFileSync(`${db}.lock`, 'utf8')).toBe(String(process.pid));
    expect(lock.orphan).toBeUndefined();
    lock.release();
  });

  it("records its dev server's pid, and names a killed command's server still on the database as an orphan to stop", () => {
    const db = dbFile();
    const lock = lockDevServerDatabase(db);
    lock.serverStarted(4242);
    expect(readFileSync(`${db}.lock`, 'utf8')).toBe(`${process.pid}\n4242`);
    lock.release();
    expect(existsSync(`${db}.lock`)).toBe(false);

    // A server left running on this database (a stand-in process whose command line names it).
    const server = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', 'start-dev', '--db-filename', db], { stdio: 'ignore' });
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    try {
      writeFileSync(`${db}.lock`, `${gone}\n${server.pid}`);
      const taken = lockDevServerDatabase(db);
      expect(taken.orphan).toBe(server.pid);
      taken.release();
      // A live process under that pid that is not a dev server on this database is left alone.
      writeFileSync(`${db}.lock`, `${gone}\n${process.pid}`);
      const other = lockDevServerDatabase(db);
      expect(other.orphan).toBeUndefined();
      other.release();
    } finally {
      server.kill('SIGKILL');
    }
  });

  it('stops an orphaned server: SIGTERM, then SIGKILL when it ignores that', async () => {
    const stubborn = spawn(process.execPath, ['-e', "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000)"], { stdio: 'ignore' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => stubborn.once('exit', (_code, signal) => resolve(signal)));
    await stopOrphanedServer(stubborn.pid ?? -1, 300);
    await expect(exited).resolves.toBe('SIGKILL');
  });
});
