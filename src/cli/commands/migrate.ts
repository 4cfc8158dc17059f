import { openStateStore } from '../../state/database';
import { migrateToLatest } from '../../state/migrations';
import { parseStateUrl, redactStateUrl } from '../../state/stateUrl';
import { cliContext, requireProject } from '../context';
import { logTo } from '../output';

/**
 * `backflow migrate`: brings the state store's schema up to date and says what it applied. Workers
 * do the same on start; this is for deploy pipelines that migrate before rolling out workers.
 */
export async function migrateCommand(options: { project?: string; json?: boolean }): Promise<number> {
  const json = options.json ?? false;
  const log = logTo(json);
  const ctx = cliContext(options);
  // The default store lives in the project: a mistyped -p would create an empty one there. A deploy
  // pipeline migrating a shared store (BACKFLOW_STATE_URL) needs no project.
  if (process.env.BACKFLOW_STATE_URL === undefined) requireProject(ctx);
  const db = await openStateStore(ctx.stateUrl, { migrate: false });
  try {
    const applied = await migrateToLatest(db);
    const store = parseStateUrl(ctx.stateUrl).kind;
    if (json) process.stdout.write(`${JSON.stringify({ store, applied })}\n`);
    else if (applied.length === 0) log(`state store ${redactStateUrl(ctx.stateUrl)} is up to date`);
    else log(`state store ${redactStateUrl(ctx.stateUrl)}: applied ${applied.join(', ')}`);
  } finally {
    await db.destroy();
  }
  return 0;
}
