import { loadProject, PROJECT_FILE } from '../../config/load';
import { checkSync } from '../../engine/check';
import { openDestination } from '../../engine/context';
import { alertSecretIssues, resolveSecrets } from '../../config/secrets';
import { ConfigError, formatConfigIssue, type ConfigIssue } from '../../errors';
import { cliContext, engineDeps, requireProject } from '../context';
import { logTo } from '../output';
import { failureLines, type SyncFailure } from '../connectionProblems';

/**
 * `backflow validate`: every problem in every file at once — schema, references, secrets, the
 * model's SQL and columns, and (asking the destination) the mapped fields. A sync file with schema
 * problems does not stop the checks of the others; a problem in backflow.yaml (the connections
 * every check needs) stops them all.
 */
export async function validateCommand(options: { project?: string; offline?: boolean }): Promise<number> {
  const log = logTo(false);
  const ctx = cliContext(options);
  requireProject(ctx);
  const project = loadProject(ctx.projectDir, { strict: false }); // throws backflow.yaml's problems
  const deps = await engineDeps(ctx);
  const issues: ConfigIssue[] = [];
  const failures: SyncFailure[] = [];
  const seen = new Set<string>();
  // An inherited alert URL would otherwise be reported once per sync.
  const report = (found: ConfigIssue[]) => {
    for (const issue of found) {
      const line = formatConfigIssue(issue);
      if (!seen.has(line)) issues.push(issue);
      seen.add(line);
    }
  };
  report(project.syncFileIssues);
  report(alertSecretIssues(project, undefined, deps.env ?? process.env));
  // Every connection's references, a connection no sync uses yet too (the syncs' checks repeat those they use).
  for (const [name, connection] of Object.entries(project.connections)) {
    try {
      resolveSecrets(connection, { file: PROJECT_FILE, path: `connections.${name}` }, deps.env ?? process.env);
    } catch (err) {
      if (err instanceof ConfigError) report(err.issues);
      else throw err;
    }
  }
  for (const name of project.syncs.keys()) {
    const own: ConfigIssue[] = alertSecretIssues(project, name, deps.env ?? process.env);
    let failed = false;
    const file = project.syncFiles.get(name) ?? `syncs/${name}.yaml`;
    try {
      const { spec } = await checkSync(deps, name);
      if (!options.offline) {
        for (const issue of await openDestination(deps, spec).check(spec)) own.push({ file, ...issue });
      }
    } catch (err) {
      if (err instanceof ConfigError) own.push(...err.issues);
      else {
        failures.push({ sync: name, file, error: err });
        failed = true;
      }
    }
    report(own);
    // ok only for a sync nothing was found wrong with.
    if (own.length === 0 && !failed) log(`ok  ${name}`);
  }
  const problems = failureLines(failures, project.syncs);
  if (project.syncs.size === 0 && project.invalidSyncs.size === 0) {
    problems.push(`no syncs: ${project.dir} has no sync files under syncs/ (each sync is a .yaml file there or in a subfolder)`);
  }
  if (issues.length > 0 || problems.length > 0) {
    for (const issue of issues) process.stderr.write(`  ${issue.file}: ${issue.path ? `${issue.path}: ` : ''}${issue.message}\n`);
    for (const problem of problems) process.stderr.write(`  ${problem}\n`);
    return 1;
  }
  log(`${project.syncs.size} sync(s) valid`);
  return 0;
}
