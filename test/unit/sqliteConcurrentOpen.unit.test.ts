import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openStateStore } from '../../src/state/database';

const OPEN = path.resolve(__dirname, '..', 'support', 'openStore.ts');

function openInProcess(url: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--require', 'tsx/cjs', OPEN, url], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

describe('a fresh SQLite state store opened by several workers at once', () => {
  it('is migrated once, and every process opens it', async () => {
    const url = `sqlite:${path.join(mkdtempSync(path.join(tmpdir(), 'backflow-sqlite-race-')), 'state.db')}`;
    const results = await Promise.all([1, 2, 3, 4].map(() => openInProcess(url)));
    expect(results).toEqual(results.map(() => ({ code: 0, stderr: '' })));
    const db = await openStateStore(url);
    try {
      const applied = await db.selectFrom('kysely_migration' as never).select('name' as never).execute();
      const names = applied.map((row) => (row as { name: string }).name);
      expect(new Set(names).size).toBe(names.length);
      expect(names).toContain('001_initial');
    } finally {
      await db.destroy();
    }
  }, 60_000);
});
