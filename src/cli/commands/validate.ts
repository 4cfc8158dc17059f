import { loadProject } from '../../config/load';
import { checkSync } from '../../engine/check';
import { openDestination } from '../../engine/context';
import { ConfigError, type ConfigIssue } from '../../errors';
import { cliContext, engineDeps } from '../context';
import { logTo } from '../output';

/**
 * `backflow validate`: every problem in every file at once — schema, references, secrets, the
 * model's SQL and columns, and (asking the destination) the mapped fields.
 */
export async function validateCommand(options: { project?: string; offline?: boolean }): Promise<number> {
  const log = logTo(false);
  const ctx = cliContext(options);
  const project = loadProject(ctx.projectDir); // throws every schema problem together
  const deps = await engineDeps(ctx);
  const issues: ConfigIssue[] = [];
  const problems: string[] = [];
  for (const name of project.syncs.keys()) {
    try {
      const { spec, file } = await checkSync(deps, name);
      if (!options.offline) {
        for (const issue of await openDestination(deps, spec).check(spec)) issues.push({ file, ...issue });
      }
      log(`ok  ${name}`);
    } catch (err) {
      if (err instanceof ConfigError) issues.push(...err.issues);
      else problems.push(`${name}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  if (issues.length > 0 || problems.length > 0) {
    for (const issue of issues) process.stderr.write(`  ${issue.file}: ${issue.path ? `${issue.path}: ` : ''}${issue.message}\n`);
    for (const problem of problems) process.stderr.write(`  ${problem}\n`);
    return 1;
  }
  log(`${project.syncs.size} sync(s) valid`);
  return 0;
}
