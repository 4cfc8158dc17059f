import { once } from 'node:events';
import { DEMO_SYNC, runDemo } from '../demo';
import { exitCodeFor, logTo } from '../output';
import { renderSummary } from '../render';
import type { SyncRunResult } from '../runSync';

/** `backflow demo`: the seed scenario, with a table per run (or a JSON array with --json). */
export async function demoCommand(options: { json?: boolean; dir: string }): Promise<number> {
  const json = options.json ?? false;
  const log = logTo(json);
  // Only a person at a terminal gets the progress bar and the dev server kept up for a look around.
  const interactive = !json && process.stdout.isTTY === true;
  const report = (runs: SyncRunResult[], dir: string) => {
    runs.forEach((run, index) => {
      log('');
      log(renderSummary(run.summary, `run ${index + 1}`));
      // Web links only while the dev server stays up to answer them.
      if (interactive && run.webUrl) log(`Temporal Web: ${run.webUrl}`);
    });
    log('');
    log(`per-record results: npx backflow runs show ${runs[1]?.summary.runId ?? '<runId>'} --project ${dir}`);
    log(`run history:        npx backflow runs ${DEMO_SYNC} --project ${dir}`);
  };
  const result = await runDemo({
    dir: options.dir,
    progressBar: interactive,
    log,
    afterRuns: async (runs, session, sandboxes) => {
      if (json) return;
      report(runs, options.dir);
      if (!interactive) return;
      log(`Temporal Web (all runs): ${session.server.uiUrl ?? '(not started)'}/namespaces/${session.server.namespace}/workflows`);
      log(`Salesforce sandbox: ${sandboxes.salesforce.instanceUrl}`);
      log('Keeping the dev server up so the runs can be inspected. Ctrl-C to stop.');
      await once(process, 'SIGINT');
    },
  });
  const summaries = result.runs.map((run) => run.summary);
  if (json) process.stdout.write(`${JSON.stringify(summaries)}\n`);
  return exitCodeFor(summaries.map((s) => s.status));
}
