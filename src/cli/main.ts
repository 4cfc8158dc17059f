import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import type { CodecServerCommandOptions } from './commands/codecServer';
import type { SchedulesOptions } from './commands/schedules';
import { BackflowError } from '../errors';
import { refuseExcessArguments } from './excessArguments';
import { errorJson, reportError, stopOnClosedPipe } from './output';

/**
 * A command's module, loaded when the command runs: loading them all up front (the Temporal worker,
 * every vendor SDK, the emulators) cost every command ~1.5 s before it could start. `require`, not
 * `import()`: the CLI runs its TypeScript through tsx's CommonJS hook, which `import()` bypasses.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
const commands = {
  codecServer: () => require('./commands/codecServer') as typeof import('./commands/codecServer'),
  demo: () => require('./commands/demo') as typeof import('./commands/demo'),
  migrate: () => require('./commands/migrate') as typeof import('./commands/migrate'),
  prune: () => require('./commands/prune') as typeof import('./commands/prune'),
  records: () => require('./commands/records') as typeof import('./commands/records'),
  run: () => require('./commands/run') as typeof import('./commands/run'),
  runs: () => require('./commands/runs') as typeof import('./commands/runs'),
  runAbandon: () => require('./commands/runAbandon') as typeof import('./commands/runAbandon'),
  sandbox: () => require('./commands/sandbox') as typeof import('./commands/sandbox'),
  schedules: () => require('./commands/schedules') as typeof import('./commands/schedules'),
  setup: () => require('./commands/setup') as typeof import('./commands/setup'),
  validate: () => require('./commands/validate') as typeof import('./commands/validate'),
  worker: () => require('./commands/worker') as typeof import('./commands/worker'),
};
/* eslint-enable @typescript-eslint/no-require-imports */
/** backflow's version, as package.json gives it (a bug report's first question; `migrate` names what an older version left). */
function version(): string {
  return (JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
}

function program(setExit: (code: number) => void): Command {
  // exitOverride (inherited by every command): a usage error is thrown to main, not exited on the spot,
  // so `--json` still gets its answer on stdout.
  const cli = new Command('backflow').description('Durable reverse ETL on Temporal').version(version(), '-V, --version', 'print backflow\'s version').showHelpAfterError().exitOverride();
  // Extra arguments are refused by refuseExcessArguments (inherited: set before the commands), which names them.
  cli.allowExcessArguments().hook('preAction', refuseExcessArguments);
  const project = ['-p, --project <dir>', 'project directory (backflow.yaml, syncs/); default: BACKFLOW_PROJECT or .'] as const;

  cli
    .command('demo')
    .description('seed a DuckDB warehouse and sync it to the Salesforce sandbox three times (4 → 2 → 0)')
    .option('--json', 'print a JSON array of run summaries on stdout')
    .option('--dir <dir>', 'where to write the demo project', '.backflow/demo')
    .action(async (options: { json?: boolean; dir: string }) => setExit(await commands.demo().demoCommand(options)));

  cli
    .command('validate')
    .description('check backflow.yaml and syncs/*.yaml: schema, secrets, model SQL and columns, destination fields')
    .option(...project)
    .option('--offline', 'do not ask the destinations to describe their objects')
    .action(async (options: { project?: string; offline?: boolean }) => setExit(await commands.validate().validateCommand(options)));

  cli
    .command('run <sync>')
    .description('run a sync now and wait for it')
    .option(...project)
    .option('--full', 're-send every row, not only changed ones')
    .option('--dry-run', 'show what would be sent, without sending anything')
    .option('--json', 'print the run summary as JSON on stdout')
    .action(async (sync: string, options: { project?: string; full?: boolean; dryRun?: boolean; json?: boolean }) =>
      setExit(await commands.run().runCommand(sync, options)),
    );

  cli
    .command('runs <syncOrShow> [runId]')
    .description('`runs <sync>`: recent runs; `runs show <runId>`: per-record results of a run; `runs abandon <runId>`: close an open run whose Temporal is gone')
    .option(...project)
    .option('--failed', 'only runs that failed or ended partial; with show: only rejected and invalid records')
    .option('--limit <n>', 'at most n runs (default 20); with show: n records (default 1000 in the table, all with --json)')
    .option('--json', 'print JSON on stdout')
    .action(async (target: string, runId: string | undefined, options: { project?: string; failed?: boolean; json?: boolean; limit?: string }) => {
      if (target === 'show' || target === 'abandon') {
        if (!runId) throw new BackflowError('USAGE', `usage: backflow runs ${target} <runId>`);
        setExit(target === 'show' ? await commands.runs().runShowCommand(runId, options) : await commands.runAbandon().runAbandonCommand(runId, options));
      } else {
        // `runs <sync> <runId>` listed the sync's runs and dropped the run id without a word.
        if (runId !== undefined) throw new BackflowError('USAGE', `unexpected argument "${runId}": backflow runs <sync> takes one sync (a run's records: backflow runs show <runId>)`);
        setExit(await commands.runs().runsCommand(target, options));
      }
    });

  cli
    .command('schedules <action> [sync]')
    .description('apply: make Temporal Schedules match the syncs\' schedule: (idempotent); list | pause | resume | trigger <sync> | backfill <sync> --from --to')
    .option(...project)
    .option('--json', 'print JSON on stdout')
    .option('--dry-run', 'with apply: show what would change, change nothing')
    .option('--from <date>', 'with backfill: start (ISO-8601)')
    .option('--to <date>', 'with backfill: end (ISO-8601)')
    .action(async (action: string, sync: string | undefined, options: SchedulesOptions) => setExit(await commands.schedules().schedulesCommand(action, sync, options)));

  cli
    .command('setup')
    .description('register backflow\'s search attributes on an existing Temporal cluster (TEMPORAL_ADDRESS; idempotent)')
    .option(...project)
    .option('--json', 'print JSON on stdout')
    .action(async (options: { project?: string; json?: boolean }) => setExit(await commands.setup().setupCommand(options)));

  cli
    .command('records <sync>')
    .description('the history of one record across runs: what was sent, when, the result, the destination id')
    .requiredOption('--key <key>', 'the record\'s primary key')
    .option(...project)
    .option('--limit <n>', 'its latest n results (default 100 in the table, all with --json)')
    .option('--json', 'print JSON on stdout')
    .action(async (sync: string, options: { project?: string; key: string; json?: boolean; limit?: string }) => setExit(await commands.records().recordsCommand(sync, options)));

  cli
    .command('prune')
    .description('delete per-record results older than the retention (default: backflow.yaml retention.records, 30d)')
    .option(...project)
    .option('--older-than <duration>', 'e.g. 30d, 12h')
    .option('--json', 'print JSON on stdout')
    .action(async (options: { project?: string; olderThan?: string; json?: boolean }) => setExit(await commands.prune().pruneCommand(options)));

  cli
    .command('worker')
    .description('run a worker (starts a dev server when TEMPORAL_ADDRESS is not set)')
    .option(...project)
    .action(async (options: { project?: string }) => setExit(await commands.worker().workerCommand(options)));

  cli
    .command('migrate')
    .description('bring the state store (BACKFLOW_STATE_URL) up to date; workers also do it on start')
    .option(...project)
    .option('--json', 'print {"store", "applied": [migration names]} on stdout')
    .action(async (options: { project?: string; json?: boolean }) => setExit(await commands.migrate().migrateCommand(options)));

  cli
    .command('sandbox')
    .description('run the destination emulators (Salesforce, HubSpot, Slack, Meta, webhook receiver, BigQuery) until Ctrl-C')
    .option('--json', 'print one JSON line with each emulator’s base URL and token when ready')
    .option('--port <port>', 'Salesforce sandbox port (default: any free port)')
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--faults <json>', 'fault profiles by emulator, e.g. \'{"salesforce": {"serverError": 0.05}, "hubspot": {"rateLimited": 0.2}}\'')
    .option('--fault-profile <file>', 'the same, from a JSON file')
    .action(async (options: { json?: boolean; port?: string; host?: string; faults?: string; faultProfile?: string }) =>
      setExit(await commands.sandbox().sandboxCommand(options)),
    );

  cli
    .command('codec-server')
    .description('decode encrypted payloads (BACKFLOW_PAYLOAD_KEY) for Temporal Web and the temporal CLI: POST /encode, /decode')
    .option('--port <port>', 'port to listen on', '8888')
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--origin <origins>', 'Temporal Web origin(s) allowed by CORS, comma-separated', 'http://localhost:8233,http://127.0.0.1:8233')
    .option('--json', 'print {"url", "origins"} on stdout when ready')
    .action(async (options: CodecServerCommandOptions) => setExit(await commands.codecServer().codecServerCommand(options)));

  return cli;
}

export async function main(argv: string[]): Promise<void> {
  let code = 0;
  stopOnClosedPipe();
  try {
    await program((c) => (code = c)).parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander printed it already (help, a version, or a usage error and the help after it).
      code = err.exitCode;
      if (code !== 0 && argv.includes('--json')) process.stdout.write(`${JSON.stringify({ error: { code: 'USAGE', message: err.message } })}\n`);
    } else {
      reportError(err);
      // A script reading `--json` output gets an answer it can parse, not an empty stdout.
      if (argv.includes('--json')) process.stdout.write(`${JSON.stringify(errorJson(err))}\n`);
      code = 1;
    }
  }
  // Writes to a pipe are asynchronous: exiting before they drain cut `--json` output past 64 KB.
  await Promise.all([process.stdout, process.stderr].map((stream) => new Promise<void>((resolve) => stream.write('', () => resolve()))));
  // Native handles (DuckDB, gRPC) can outlive the work; the command is done.
  process.exit(code);
}
