import { spawnSync } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

/** Lints `code` with the project's ESLint config as if it were a file in workflows/. */
async function lintWorkflow(code: string): Promise<string[]> {
  // A child process: ESLint loads its flat config with a dynamic import, which Jest's VM cannot run.
  const eslint = spawnSync(
    process.execPath,
    [path.join(ROOT, 'node_modules', 'eslint', 'bin', 'eslint.js'), '--stdin', '--stdin-filename', 'workflows/probe.ts', '--format', 'json'],
    { cwd: ROOT, input: code, encoding: 'utf8' },
  );
  const [result] = JSON.parse(eslint.stdout) as Array<{ messages: Array<{ message: string }> }>;
  return (result?.messages ?? []).map((m) => m.message);
}

describe('the lint rule that keeps workflows deterministic', () => {
  it('forbids Node built-ins, connector SDKs and value imports from src/ and activities/', async () => {
    const messages = await lintWorkflow(
      [
        "import { readFileSync } from 'node:fs';",
        "import { randomUUID } from 'crypto';",
        "import { Connection } from 'jsforce';",
        "import { startRun } from '../src/engine';",
        "import { createActivities } from '../activities';",
        'export const used = [readFileSync, randomUUID, Connection, startRun, createActivities];',
      ].join('\n'),
    );
    expect(messages).toHaveLength(5);
    expect(messages[0]).toContain('Node built-ins are not allowed in workflows/');
    expect(messages[2]).toContain('Side-effecting modules are not allowed in workflows/');
    expect(messages[3]).toContain('Workflows import only types');
  });

  it('allows @temporalio/workflow and type-only imports', async () => {
    const messages = await lintWorkflow(
      [
        "import { proxyActivities } from '@temporalio/workflow';",
        "import type { SyncActivities } from '../activities';",
        "import type { Connection } from 'jsforce';",
        'export const a = proxyActivities<SyncActivities>({ startToCloseTimeout: 1 });',
        'export type C = Connection;',
      ].join('\n'),
    );
    expect(messages).toEqual([]);
  });
});
