import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cliContext, requireProject } from '../../src/cli/context';
import { configIssuesOf } from '../support/configProject';

describe('a directory without backflow.yaml names where the directory came from', () => {
  const saved = { project: process.env.BACKFLOW_PROJECT, cwd: process.cwd() };
  let nowhere: string;
  beforeEach(() => {
    nowhere = mkdtempSync(path.join(tmpdir(), 'backflow-nowhere-'));
    delete process.env.BACKFLOW_PROJECT;
  });
  afterEach(() => {
    if (saved.project === undefined) delete process.env.BACKFLOW_PROJECT;
    else process.env.BACKFLOW_PROJECT = saved.project;
    process.chdir(saved.cwd);
  });
  const problem = (options: { project?: string }) => configIssuesOf(() => requireProject(cliContext(options)));

  it('--project (which wins over BACKFLOW_PROJECT)', () => {
    process.env.BACKFLOW_PROJECT = '/somewhere/else';
    expect(problem({ project: nowhere })).toEqual([`backflow.yaml: not found in ${nowhere} (is --project right?)`]);
  });

  it('BACKFLOW_PROJECT, when no --project was given: not a question about a flag the user never typed', () => {
    process.env.BACKFLOW_PROJECT = nowhere;
    expect(problem({})).toEqual([`backflow.yaml: not found in ${nowhere} (the directory BACKFLOW_PROJECT names: is it right? --project <dir> overrides it)`]);
  });

  it('the current directory, when neither was given', () => {
    process.chdir(nowhere);
    const here = process.cwd();
    expect(problem({})).toEqual([`backflow.yaml: not found in ${here} (the current directory, as neither --project nor BACKFLOW_PROJECT was given)`]);
  });
});
