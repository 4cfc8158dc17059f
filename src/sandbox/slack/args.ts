/**
 * A Web API call's arguments: query, form or JSON body merged, so a value may arrive as a string
 * (query, form) or as a JSON number/boolean/object; methods read them through these helpers.
 */

export type Args = Record<string, unknown>;

export function str(args: Args, name: string): string | undefined {
  const value = args[name];
  if (value === undefined || value === null) return undefined;
  return typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : JSON.stringify(value);
}

export function bool(args: Args, name: string): boolean {
  const value = str(args, name);
  return value === 'true' || value === '1';
}
