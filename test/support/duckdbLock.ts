import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

/** A second process holding an open write transaction on a DuckDB `file`, as dbt does while it builds a model. */
export async function holdDuckdbWriteLock(file: string): Promise<ChildProcess> {
  const holder = spawn(
    process.execPath,
    ['-e', `const { DuckDBInstance } = require('@duckdb/node-api');
      (async () => { const c = await (await DuckDBInstance.create(${JSON.stringify(file)})).connect();
        await c.run('BEGIN'); await c.run('CREATE TABLE lock_holder (x INTEGER)'); console.log('holding'); setInterval(() => {}, 1000); })();`],
    { cwd: path.resolve(__dirname, '..', '..'), stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve) => holder.stdout?.on('data', (data: Buffer) => data.toString().includes('holding') && resolve()));
  return holder;
}
