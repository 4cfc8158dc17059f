import { existsSync, readdirSync, readFileSync, realpathSync, statSync, type Dirent } from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigError, type ConfigIssue } from '../errors';
import { describeIssue, describeYamlError } from './issueMessages';
import { referenceFormIssues } from './referenceForm';
import {
  DESTINATION_TYPES,
  SOURCE_TYPES,
  connectionSchema,
  durationMs,
  projectConfigSchema,
  syncSchema,
  type AlertsConfig,
  type Connection,
  type ProjectConfig,
  type SyncDestination,
  type SyncSpec,
} from './schema';
import { TARGET_SCHEMAS, type DestinationType } from '../destinations/targets';

export const PROJECT_FILE = 'backflow.yaml';
export const SYNCS_DIR = 'syncs';
/** A sync file's name: `.yaml` or `.yml`, in any letter case. */
const SYNC_FILE = /\.ya?ml$/i;
/** What a `writeBack.connection` must name, as reference errors say it. */
const WRITE_BACK_ROLE = 'write-back warehouse (duckdb or postgres)';

/** A project's configuration, validated; secrets are still `${env:…}` references. */
export interface Project {
  dir: string;
  connections: ProjectConfig['connections'];
  syncs: Map<string, SyncSpec>;
  /** File each sync came from, relative to `dir`. */
  syncFiles: Map<string, string>;
  /** Project-wide alerts (each sync's spec already has them merged in). */
  alerts?: AlertsConfig;
  /** How long per-record results are kept, in milliseconds. */
  recordRetentionMs: number;
  /**
   * Sync files with problems, by the name of the sync each would define (its `name:`, or its file
   * name). Empty unless loaded with `strict: false`: a strict load throws instead.
   */
  invalidSyncs: Map<string, InvalidSync>;
  /**
   * Every problem of every sync file, including a file whose sync name another file owns (not in
   * `invalidSyncs`). Empty unless loaded with `strict: false`.
   */
  syncFileIssues: ConfigIssue[];
}

/** A sync file that failed validation: not in `syncs`, its problems kept for whoever asks for it. */
export interface InvalidSync {
  name: string;
  file: string;
  issues: ConfigIssue[];
}

export interface LoadOptions {
  /**
   * true (the default): any problem in any file throws, every problem at once — for commands about
   * the whole project (`validate`, `schedules apply`). false: a sync file with problems is left out of
   * `syncs` and listed in `invalidSyncs`, so one broken sync does not stop the others; a problem in
   * backflow.yaml (connections, alerts) still throws.
   */
  strict?: boolean;
}

/** Warehouses backflow can write a sync log table to. */
export const WRITE_BACK_TYPES = ['duckdb', 'postgres'] as const;

/** `['mappings', 1, 'from']` → `mappings[1].from` */
export function formatPath(segments: ReadonlyArray<PropertyKey>): string {
  return segments
    .map((segment, index) =>
      typeof segment === 'number' ? `[${segment}]` : `${index === 0 ? '' : '.'}${String(segment)}`,
    )
    .join('');
}

function zodIssues(file: string, error: z.ZodError): ConfigIssue[] {
  return error.issues.map((issue) => ({ file, path: formatPath(issue.path), message: describeIssue(issue) }));
}

/** Parses one YAML file; syntax errors become issues with line and column. */
function readYaml(dir: string, file: string, issues: ConfigIssue[]): unknown {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path.join(dir, file));
  } catch (err) {
    issues.push({ file, path: '', message: `cannot read: ${(err as Error).message}` });
    return undefined;
  }
  // Strict decoding: a lenient one would turn a stray Latin-1 byte into U+FFFD and sync it as data.
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    issues.push({ file, path: '', message: invalidUtf8Message(bytes) });
    return undefined;
  }
  // logLevel error: the library's warnings (a mapping used as a key) went to the terminal as a Node
  // warning; what they mean reaches the user as the schema's issue instead.
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true, logLevel: 'error' });
  if (doc.errors.length > 0) {
    const unquoted = unquotedReferenceInBraces(text);
    if (unquoted !== undefined) {
      // The parser's own errors are a cascade of "Unexpected flow-map-start": say what to write.
      issues.push({ file, path: '', message: `invalid YAML at line ${unquoted}: a \${env:…} reference inside { … } must be quoted ("\${env:NAME}"), as { and } end the mapping there` });
      return undefined;
    }
    for (const error of doc.errors) issues.push({ file, path: '', message: `invalid YAML: ${describeYamlError(error.message)}` });
    return undefined;
  }
  return doc.toJS();
}

/** The line (1-based) of the first `${…}` written unquoted as a value inside a `{ … }` mapping, if any. */
function unquotedReferenceInBraces(text: string): number | undefined {
  const index = text.split('\n').findIndex((line) => /\{[^}]*[:,]\s*\$\{/.test(line.replace(/#.*$/, '')));
  return index === -1 ? undefined : index + 1;
}

/** Where the first byte that is not UTF-8 sits: byte offset, line and column (a U+FFFD in the lenient decoding that was not in the file). */
function invalidUtf8Message(bytes: Buffer): string {
  const lenient = new TextDecoder('utf-8').decode(bytes);
  for (let i = lenient.indexOf('\uFFFD'); i !== -1; i = lenient.indexOf('\uFFFD', i + 1)) {
    const before = lenient.slice(0, i);
    const offset = Buffer.byteLength(before, 'utf8');
    if (bytes[offset] === 0xef && bytes[offset + 1] === 0xbf && bytes[offset + 2] === 0xbd) continue; // a real U+FFFD
    const line = before.split('\n').length;
    const column = i - before.lastIndexOf('\n');
    const hex = bytes[offset]?.toString(16).padStart(2, '0') ?? '??';
    return `invalid UTF-8: byte 0x${hex} at offset ${offset} (line ${line}, column ${column}); save the file as UTF-8`;
  }
  return 'invalid UTF-8; save the file as UTF-8';
}

/** The connections syncs may name: the valid ones, and those of backflow.yaml reported as invalid. */
interface KnownConnections {
  valid: Record<string, Connection>;
  broken: ReadonlySet<string>;
  /**
   * False when backflow.yaml has no readable `connections:` (missing, not YAML, empty, a list): its own
   * issue says so, and every sync would otherwise get a false "unknown connection" too.
   */
  listed: boolean;
}

/**
 * The reference-form problems of a backflow.yaml the schema refused, in its connections and alerts
 * (where references are resolved), at the fields the schema did not already refuse: otherwise checked
 * only once the file parses, so a file written in another tool's `${TOKEN}` form was told a field a round.
 */
function referenceFormsBeside(raw: unknown, refused: readonly ConfigIssue[]): ConfigIssue[] {
  if (typeof raw !== 'object' || raw === null) return [];
  const flagged = new Set(refused.map((issue) => issue.path));
  const { connections, alerts } = raw as { connections?: unknown; alerts?: unknown };
  return [
    ...referenceFormIssues(connections, { file: PROJECT_FILE, path: 'connections' }),
    ...referenceFormIssues(alerts, { file: PROJECT_FILE, path: 'alerts' }),
  ].filter((issue) => !flagged.has(issue.path));
}

/**
 * The connections of a backflow.yaml that failed validation, each checked on its own, so a sync naming
 * one whose settings are wrong is not also told that it does not exist.
 */
function salvageConnections(raw: unknown): KnownConnections {
  const valid: Record<string, Connection> = {};
  const broken = new Set<string>();
  const entries = typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? (raw as { connections?: unknown }).connections : undefined;
  const listed = typeof entries === 'object' && entries !== null && !Array.isArray(entries);
  if (listed) {
    for (const [name, value] of Object.entries(entries)) {
      const parsed = connectionSchema.safeParse(value);
      if (parsed.success) valid[name] = parsed.data;
      else broken.add(name);
    }
  }
  return { valid, broken, listed };
}

function checkReference(
  issues: ConfigIssue[],
  file: string,
  fieldPath: string,
  name: string,
  known: KnownConnections,
  allowed: readonly string[],
  role: string,
): void {
  if (known.broken.has(name) || !known.listed) return; // its own problem is reported against backflow.yaml
  const connection = known.valid[name];
  if (!connection) {
    const defined = [...Object.keys(known.valid), ...known.broken].join(', ') || 'none';
    issues.push({ file, path: fieldPath, message: `unknown connection "${name}" (${PROJECT_FILE} defines: ${defined})` });
  } else if (!allowed.includes(connection.type)) {
    issues.push({ file, path: fieldPath, message: `connection "${name}" is a ${connection.type}, not a ${role}` });
  }
}

/**
 * The reference and target checks of a sync file the schema refused, on the fields that are there:
 * every problem in one round, not the schema's first and the references' after it is fixed. A path
 * the schema already reported is left to it.
 */
function checkWhatParsed(issues: ConfigIssue[], file: string, raw: unknown, known: KnownConnections): void {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return;
  const { source, destination, writeBack } = raw as { source?: unknown; destination?: unknown; writeBack?: unknown };
  const found: ConfigIssue[] = [];
  if (typeof source === 'string') checkReference(found, file, 'source', source, known, SOURCE_TYPES, 'source');
  const writeBackConnection = typeof writeBack === 'object' && writeBack !== null ? (writeBack as { connection?: unknown }).connection : undefined;
  if (typeof writeBackConnection === 'string') {
    checkReference(found, file, 'writeBack.connection', writeBackConnection, known, WRITE_BACK_TYPES, WRITE_BACK_ROLE);
  }
  const target = typeof destination === 'object' && destination !== null ? (destination as { connection?: unknown }) : undefined;
  if (target && typeof target.connection === 'string') {
    checkReference(found, file, 'destination.connection', target.connection, known, DESTINATION_TYPES, 'destination');
    checkTarget(found, file, target as SyncDestination, known.valid);
  }
  const reported = new Set(issues.map((issue) => issue.path));
  issues.push(...found.filter((issue) => !reported.has(issue.path)));
}

/** The sync's `destination:` block against the schema of its connection's destination type. */
function checkTarget(issues: ConfigIssue[], file: string, destination: SyncDestination, connections: Record<string, Connection>): void {
  const type = connections[destination.connection]?.type;
  if (type === undefined || !(type in TARGET_SCHEMAS)) return; // reported by checkReference
  const parsed = TARGET_SCHEMAS[type as DestinationType].safeParse(destination);
  if (!parsed.success) {
    issues.push(...parsed.error.issues.map((issue) => ({ file, path: formatPath(['destination', ...issue.path]), message: describeIssue(issue) })));
  }
}

/**
 * The sync files of a project, `syncs/` and its subfolders (a team's syncs kept together), as paths
 * from the project's root in name order: any letter case of `.yaml`/`.yml` (a sync in `x.YAML` was
 * skipped without a word, and `schedules apply` then deleted its schedule). Hidden entries (`.git`,
 * an editor's `.x.yaml.swp`) are not syncs. A sync is named after its file wherever it sits. Symbolic
 * links are followed (a folder shared between projects), each folder once. A folder that cannot be
 * read is added to `unreadable` (its syncs would otherwise vanish, schedules and all); a project
 * without a `syncs/` folder has no syncs.
 */
export function listSyncFiles(root: string, unreadable: ConfigIssue[] = []): string[] {
  const files: string[] = [];
  const visited = new Set<string>();
  const walk = (relative: string): void => {
    const folder = path.join(root, relative);
    let entries: Dirent[];
    try {
      const real = realpathSync(folder);
      if (visited.has(real)) return;
      visited.add(real);
      entries = readdirSync(folder, { withFileTypes: true });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (relative === SYNCS_DIR && code === 'ENOENT') return;
      unreadable.push({ file: `${relative}/`, path: '', message: `cannot read this folder of sync files (${code ?? (err as Error).message}); none of its syncs is loaded` });
      return;
    }
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const file = `${relative}/${entry.name}`;
      const kind = entry.isSymbolicLink() ? linkedKind(path.join(root, file)) : entry.isDirectory() ? 'folder' : 'file';
      if (kind === 'folder') walk(file);
      else if (kind === 'file' && SYNC_FILE.test(entry.name)) files.push(file);
    }
  };
  walk(SYNCS_DIR);
  return files.sort();
}

/** What a symbolic link points at; a dangling link is a file, reported when it is read. */
function linkedKind(link: string): 'folder' | 'file' {
  try {
    return statSync(link).isDirectory() ? 'folder' : 'file';
  } catch {
    return 'file';
  }
}

/**
 * `${env:…}` written in a sync file outside its `alerts` (the only part resolved there): the text
 * would reach the warehouse, a channel name or a URL as it is written.
 */
function referencesNotResolved(file: string, raw: unknown): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const walk = (value: unknown, at: string): void => {
    if (typeof value === 'string') {
      if (/\$\{\s*env\s*:/i.test(value)) {
        issues.push({ file, path: at, message: 'secret references (${env:…}) are resolved in backflow.yaml (connections, alerts) and in a sync\'s alerts only; put this value in its connection there' });
      }
    } else if (Array.isArray(value)) value.forEach((item, index) => walk(item, `${at}[${index}]`));
    else if (typeof value === 'object' && value !== null) {
      for (const [key, item] of Object.entries(value)) {
        if (at === '' && key === 'alerts') continue;
        walk(item, at === '' ? key : `${at}.${key}`);
      }
    }
  };
  walk(raw, '');
  return issues;
}

/** The sync a file names, read from what may be an invalid document: its `name:`, or the file name. */
function claimedName(raw: unknown, fileName: string): string {
  const name = typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? (raw as { name?: unknown }).name : undefined;
  return typeof name === 'string' && name !== '' ? name : fileName.replace(SYNC_FILE, '');
}

/**
 * Loads `backflow.yaml` and every sync file of a project (see listSyncFiles) and reports every problem at once,
 * each naming its file and path, as a ConfigError (see LoadOptions.strict for a lenient load).
 */
export function loadProject(dir: string, options: LoadOptions = {}): Project {
  const root = path.resolve(dir);
  const issues: ConfigIssue[] = [];

  let connections: ProjectConfig['connections'] = {};
  let known: KnownConnections = { valid: {}, broken: new Set(), listed: false };
  let alerts: AlertsConfig | undefined;
  let recordRetentionMs = durationMs('30d') as number;
  if (!existsSync(path.join(root, PROJECT_FILE))) {
    issues.push({ file: PROJECT_FILE, path: '', message: `not found in ${root}` });
  } else {
    const raw = readYaml(root, PROJECT_FILE, issues);
    if (raw !== undefined) {
      const parsed = projectConfigSchema.safeParse(raw ?? {});
      if (parsed.success) {
        connections = parsed.data.connections;
        known = { valid: connections, broken: new Set(), listed: true };
        alerts = parsed.data.alerts;
        recordRetentionMs = durationMs(parsed.data.retention.records) ?? recordRetentionMs;
      } else {
        const refused = zodIssues(PROJECT_FILE, parsed.error);
        issues.push(...refused, ...referenceFormsBeside(raw, refused));
        known = salvageConnections(raw);
      }
    }
  }

  const syncs = new Map<string, SyncSpec>();
  const syncFiles = new Map<string, string>();
  const syncFileIssues: ConfigIssue[] = [];
  const files = listSyncFiles(root, syncFileIssues);
  issues.push(...syncFileIssues);
  const projectBroken = issues.length > syncFileIssues.length;
  const invalidSyncs = new Map<string, InvalidSync>();
  // Every name a file claims, valid or not: the first file (in name order) owns it.
  const claimed = new Map<string, string>();
  for (const file of files) {
    const name = path.posix.basename(file);
    const own: ConfigIssue[] = [];
    const invalid = (syncName: string): void => {
      issues.push(...own);
      syncFileIssues.push(...own);
      if (!claimed.has(syncName)) {
        claimed.set(syncName, file);
        invalidSyncs.set(syncName, { name: syncName, file, issues: own });
      }
    };
    const raw = readYaml(root, file, own);
    if (raw === undefined) {
      invalid(claimedName(undefined, name));
      continue;
    }
    const parsed = syncSchema.safeParse(raw ?? {});
    if (!parsed.success) {
      own.push(...zodIssues(file, parsed.error));
      own.push(...referencesNotResolved(file, raw));
      checkWhatParsed(own, file, raw, known);
      invalid(claimedName(raw, name));
      continue;
    }
    const sync = parsed.data;
    own.push(...referencesNotResolved(file, raw));
    const syncName = sync.name ?? name.replace(SYNC_FILE, '');
    const previous = claimed.get(syncName);
    if (previous !== undefined) {
      own.push({ file, path: 'name', message: `sync "${syncName}" is already defined in ${previous}` });
      invalid(syncName);
      // Which of the two is meant is unknowable: the name runs neither (a lenient load ran the first).
      syncs.delete(syncName);
      invalidSyncs.set(syncName, { name: syncName, file: previous, issues: [...(invalidSyncs.get(syncName)?.issues ?? []), ...own] });
      continue;
    }
    checkReference(own, file, 'source', sync.source, known, SOURCE_TYPES, 'source');
    checkReference(own, file, 'destination.connection', sync.destination.connection, known, DESTINATION_TYPES, 'destination');
    checkTarget(own, file, sync.destination, known.valid);
    if (sync.writeBack) {
      checkReference(own, file, 'writeBack.connection', sync.writeBack.connection, known, WRITE_BACK_TYPES, WRITE_BACK_ROLE);
    }
    if (own.length > 0) {
      invalid(syncName);
      continue;
    }
    const syncAlerts = alerts || sync.alerts ? { ...alerts, ...sync.alerts } : undefined;
    const spec: SyncSpec = {
      name: syncName,
      ...(sync.renamedFrom !== undefined ? { renamedFrom: sync.renamedFrom } : {}),
      source: sync.source,
      model: sync.model,
      primaryKey: sync.primaryKey,
      destination: sync.destination,
      mode: sync.mode,
      ...(sync.allowEmptyMirror ? { allowEmptyMirror: true } : {}),
      ...(sync.maxDeletes !== undefined ? { maxDeletes: sync.maxDeletes } : {}),
      mappings: sync.mappings,
      ...(sync.batchSize !== undefined ? { batchSize: sync.batchSize } : {}),
      ...(sync.schedule ? { schedule: sync.schedule } : {}),
      ...(syncAlerts ? { alerts: syncAlerts } : {}),
      ...(sync.writeBack ? { writeBack: sync.writeBack } : {}),
    };
    syncs.set(syncName, spec);
    syncFiles.set(syncName, file);
    claimed.set(syncName, file);
  }
  for (const renamed of renameIssues(syncs, syncFiles, claimed)) {
    issues.push(renamed.issue);
    syncFileIssues.push(renamed.issue);
    syncs.delete(renamed.sync);
    syncFiles.delete(renamed.sync);
    invalidSyncs.set(renamed.sync, { name: renamed.sync, file: renamed.issue.file, issues: [renamed.issue] });
  }

  // backflow.yaml holds the connections and alerts every sync uses: its problems fail every load.
  if (issues.length > 0 && (options.strict !== false || projectBroken)) throw new ConfigError(issues);
  return { dir: root, connections, syncs, syncFiles, ...(alerts ? { alerts } : {}), recordRetentionMs, invalidSyncs, syncFileIssues };
}

/**
 * `renamedFrom:` that would not name one sync's former self: this sync, a sync still defined (two
 * syncs would hold one's records), or a name another file took over already.
 */
function renameIssues(syncs: Map<string, SyncSpec>, syncFiles: Map<string, string>, claimed: Map<string, string>): { sync: string; issue: ConfigIssue }[] {
  const found: { sync: string; issue: ConfigIssue }[] = [];
  const takenBy = new Map<string, string>();
  for (const spec of syncs.values()) {
    const from = spec.renamedFrom;
    if (from === undefined) continue;
    const file = syncFiles.get(spec.name) ?? `${SYNCS_DIR}/`;
    const other = takenBy.get(from);
    const message =
      from === spec.name
        ? 'names this sync itself (renamedFrom is the name the sync had before)'
        : claimed.has(from)
          ? `sync "${from}" is still defined in ${claimed.get(from)}: remove that file when renaming it (two syncs cannot take over one's records)`
          : other !== undefined
            ? `"${from}" is taken over by ${other} already`
            : undefined;
    if (message === undefined) takenBy.set(from, file);
    else found.push({ sync: spec.name, issue: { file, path: 'renamedFrom', message } });
  }
  return found;
}

/** A sync's spec; throws its own file's problems (file + path) when that file is invalid. */
export function getSync(project: Project, name: string): SyncSpec {
  const sync = project.syncs.get(name);
  if (sync) return sync;
  const invalid = project.invalidSyncs.get(name);
  if (invalid) throw new ConfigError(invalid.issues);
  const known = [...project.syncs.keys()].join(', ') || 'none';
  throw new ConfigError([{ file: `${SYNCS_DIR}/`, path: '', message: `no sync named "${name}" (defined: ${known})` }]);
}
