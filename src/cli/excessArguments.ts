import type { Command } from 'commander';

/**
 * Refuses arguments past those a command declares, naming them. Commander's own refusal said only
 * "Expected 1 argument but got 2": `backflow run a b` did not say which of the two was not run.
 * Used as a `preAction` hook on the program, with excess arguments allowed so this check sees them.
 */
export function refuseExcessArguments(_program: Command, command: Command): void {
  const expected = command.registeredArguments.length;
  const extra = command.args.slice(expected);
  if (extra.length === 0) return;
  const named = extra.map((arg) => JSON.stringify(arg)).join(', ');
  const declared = command.registeredArguments.map((arg) => (arg.required ? `<${arg.name()}>` : `[${arg.name()}]`)).join(' ');
  const takes = expected === 0 ? 'takes no arguments' : `takes only ${declared}`;
  command.error(`error: unexpected argument${extra.length === 1 ? '' : 's'} ${named}: backflow ${command.name()} ${takes}`, { code: 'commander.excessArguments' });
}
