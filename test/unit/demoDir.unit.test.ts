/** `backflow demo --dir` only ever replaces a directory that is empty or that an earlier demo wrote. */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { DEMO_MARKER, prepareDemoDir } from '../../src/cli/demo';

const BIN = path.resolve(__dirname, '..', '..', 'bin', 'backflow.js');
const tempDir = () => mkdtempSync(path.join(tmpdir(), 'backflow-demo-dir-'));

describe('backflow demo --dir never deletes what it did not write', () => {
  it('refuses a non-empty directory without the demo marker, naming it and deleting nothing', () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'thesis.md'), 'years of work');
    expect(() => prepareDemoDir(dir)).toThrow(`--dir ${dir}: is not empty and was not written by backflow demo`);
    expect(readFileSync(path.join(dir, 'thesis.md'), 'utf8')).toBe('years of work');
  });

  it('refuses a file', () => {
    const file = path.join(tempDir(), 'notes.txt');
    writeFileSync(file, 'keep me');
    expect(() => prepareDemoDir(file)).toThrow(`--dir ${file}: is a file, not a directory`);
    expect(readFileSync(file, 'utf8')).toBe('keep me');
  });

  it('uses an empty or new directory, and replaces one an earlier demo wrote (marked)', () => {
    const fresh = path.join(tempDir(), 'a', 'demo');
    prepareDemoDir(fresh);
    expect(readdirSync(fresh)).toEqual([DEMO_MARKER]);
    writeFileSync(path.join(fresh, 'warehouse.duckdb'), 'old run');
    mkdirSync(path.join(fresh, '.backflow'));
    prepareDemoDir(fresh);
    expect(readdirSync(fresh)).toEqual([DEMO_MARKER]);
    const empty = tempDir();
    prepareDemoDir(empty);
    expect(readdirSync(empty)).toEqual([DEMO_MARKER]);
  });

  it('the command refuses `--dir` over a user folder with exit 1, before starting anything', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'keep.txt'), 'mine');
    const result = await promisify(execFile)(process.execPath, [BIN, 'demo', '--json', '--dir', dir]).then(
      () => ({ code: 0, stderr: '' }),
      (err: { code: number; stderr: string }) => err,
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`--dir ${dir}: is not empty and was not written by backflow demo`);
    expect(readdirSync(dir)).toEqual(['keep.txt']);
  }, 60_000);
});
