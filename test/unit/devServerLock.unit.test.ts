import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { lockDevServerDatabase } from '../../src/temporal/dbLock';

const dbFile = () => path.join(mkdtempSync(path.join(tmpdir(), 'backflow-dblock-')), 'temporal.db');

describe("one command at a time on a project's embedded Temporal database", () => {
  it('refuses a second taker while the first holds it, naming its pid, and lets one in once released', () => {
    const db = dbFile();
    const release = lockDevServerDatabase(db);
    expect(readFileSync(`${db}.lock`, 'utf8')).toBe(String(process.pid));
    // Another live process holds it (here: this one's parent, standing in for a second command).
    writeFileSync(`${db}.lock`, String(process.ppid));
    expect(() => lockDevServerDatabase(db)).toThrow(
      expect.objectContaining({ code: 'TEMPORAL_DB_IN_USE', message: expect.stringContaining(`another backflow command (pid ${process.ppid}) is using`) as unknown }),
    );
    writeFileSync(`${db}.lock`, String(process.pid));
    release();
    expect(existsSync(`${db}.lock`)).toBe(false);
    lockDevServerDatabase(db)();
  });

  it('takes over the lock of a process that is gone (a killed command)', () => {
    const db = dbFile();
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    writeFileSync(`${db}.lock`, gone);
    const release = lockDevServerDatabase(db);
    expect(readFileSync(`${db}.lock`, 'utf8')).toBe(String(process.pid));
    release();
  });
});
