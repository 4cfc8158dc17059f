import { once } from 'node:events';
import type { Client } from '@temporalio/client';
import { backflow, expectSucceeded, type CliResult } from '../support/cli';
import { useSyncFixture } from '../support/fixture';
import { historyText } from '../support/history';
import { uniqueTaskQueue } from '../support/temporal';
import { startWorkerProcess, type WorkerProcess } from '../support/workerProcess';

const SYNC = 'accounts_to_salesforce';
/** Seeded row values and the values the mapping derives from them. */
const ROW_VALUES = ['Acme', 'Globex', 'Initech', 'Umbrella', 'at-risk', 'healthy'];
const fx = useSyncFixture();


/** A `backflow worker` process logging at debug, on the suite's dev server. */
function startDebugWorker(taskQueue: string, env: Record<string, string>): Promise<WorkerProcess> {
  return startWorkerProcess({
    projectDir: fx.project.dir,
    temporalAddress: fx.temporal.address,
    taskQueue,
    env: { ...env, LOG_LEVEL: 'debug' },
    captureStderr: true,
  });
}

async function stopWorker(worker: WorkerProcess): Promise<void> {
  const exited = once(worker.child, 'exit');
  worker.child.kill('SIGTERM');
  await exited;
}

/** `backflow run --json` at debug level, served by the worker on `taskQueue`. */
function cliRun(taskQueue: string, env: Record<string, string>): Promise<CliResult> {
  return backflow(['run', SYNC, '--json', '--project', fx.project.dir], {
    ...env,
    LOG_LEVEL: 'debug',
    TEMPORAL_ADDRESS: fx.temporal.address,
    BACKFLOW_TASK_QUEUE: taskQueue,
  });
}

/** The history of the one run on `taskQueue` (visibility may trail the run by a moment). */
async function historyOfRunOn(client: Client, taskQueue: string): Promise<string> {
  for (;;) {
    for await (const run of client.workflow.list({ query: `TaskQueue = '${taskQueue}'` })) {
      return historyText(await client.workflow.getHandle(run.workflowId, run.runId).fetchHistory());
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function expectNoneOf(values: string[], where: Record<string, string>): void {
  for (const [name, text] of Object.entries(where)) {
    for (const value of values) expect({ where: name, leaked: text.includes(value) ? value : undefined }).toEqual({ where: name, leaked: undefined });
  }
}

describe('secrets and row values', () => {
  it('stay out of a full run: history, worker logs at debug, CLI stdout and stderr', async () => {
    const taskQueue = uniqueTaskQueue('secrets');
    const worker = await startDebugWorker(taskQueue, fx.project.env);
    let result: CliResult;
    try {
      result = await cliRun(taskQueue, fx.project.env);
    } finally {
      await stopWorker(worker);
    }
    expectSucceeded(result);
    expect(JSON.parse(result.stdout)).toMatchObject({ sync: SYNC, status: 'succeeded', counts: { synced: 4 } });
    expect(fx.sandbox.records('Account').map((a) => a.Name)).toEqual(['Acme', 'Globex', 'Initech', 'Umbrella']);
    const history = await historyOfRunOn(fx.temporal.client, taskQueue);
    // The scans read real material: the history names the sync, the worker logged at debug.
    expect(history).toContain(SYNC);
    expect(history).toContain('"synced":4');
    expect(worker.output()).toContain('"level":20');
    expectNoneOf([fx.sandbox.accessToken, ...ROW_VALUES], {
      history,
      workerLog: worker.output(),
      cliStdout: result.stdout,
      cliStderr: result.stderr,
    });
  });

  it('stay out of a failed run: a rejected token is not quoted in the error, the logs or the history', async () => {
    const badToken = `00Dbad!${'x'.repeat(24)}-not-a-session`;
    const env = { ...fx.project.env, SALESFORCE_ACCESS_TOKEN: badToken };
    const taskQueue = uniqueTaskQueue('secrets-bad');
    const worker = await startDebugWorker(taskQueue, env);
    let result: CliResult;
    try {
      result = await cliRun(taskQueue, env);
    } finally {
      await stopWorker(worker);
    }
    expect(result.code).not.toBe(0);
    // The failure says what went wrong…
    expect(`${result.stdout}${result.stderr}`).toMatch(/INVALID_SESSION_ID/);
    expect(fx.sandbox.records('Account')).toEqual([]);
    const history = await historyOfRunOn(fx.temporal.client, taskQueue);
    expect(history).toContain('INVALID_SESSION_ID');
    // …without the token that was refused (or the sandbox's real one).
    expectNoneOf([badToken, fx.sandbox.accessToken, ...ROW_VALUES], {
      history,
      workerLog: worker.output(),
      cliStdout: result.stdout,
      cliStderr: result.stderr,
    });
  });
});
