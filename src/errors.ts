/**
 * Typed errors with a stable `code`, so callers (activities, CLI, tests) branch on codes, not messages.
 */
/**
 * Socket-level failure codes (Node's, and undici's for fetch-based clients): the network failed,
 * not the request. Every client that classifies failures (destinations, sources) reads this one list.
 */
export const NETWORK_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

export type ErrorCode =
  | 'CONFIG_INVALID'
  | 'SYNC_ALREADY_RUNNING'
  | 'RUN_ABANDONED'
  /** A run its schedule's `terminate_other` overlap policy ended for the next fire (endedRun.ts): chosen, not alerted. */
  | 'RUN_SUPERSEDED'
  | 'RUN_OF_ENDED_EXECUTION'
  | 'EXTRACT_SUPERSEDED'
  | 'BATCH_SUPERSEDED'
  | 'SOURCE_QUERY_FAILED'
  | 'DESTINATION_AUTH_FAILED'
  | 'DESTINATION_REQUEST_INVALID'
  | 'DESTINATION_TRANSIENT'
  | 'RUN_NOT_FOUND'
  | 'RUN_ALREADY_FINISHED'
  | 'MIRROR_EMPTY_MODEL'
  | 'MIRROR_DELETE_LIMIT'
  /** The destination connection points elsewhere than where the sync's records were written (destinationLocator.ts). */
  | 'DESTINATION_MOVED'
  /** A run under a name a sync file's `renamedFrom:` gave up (state/syncRenames.ts). */
  | 'SYNC_RENAMED'
  /** A `renamedFrom:` that cannot take over the old name's state (given up to another, or both hold records). */
  | 'SYNC_RENAME_CONFLICT'
  | 'MODE_NOT_SUPPORTED'
  | 'SCHEDULE_NOT_FOUND'
  | 'TEMPORAL_REQUIRED'
  | 'DESTINATION_BUDGET_EXHAUSTED'
  | 'DESTINATION_BATCH_REJECTED'
  | 'STATE_STORE_UNREACHABLE'
  | 'STATE_STORE_OUTDATED'
  /** The store holds migrations this release does not know and lacks some it has (migrations.ts). */
  | 'STATE_STORE_DIVERGED'
  | 'TEMPORAL_UNREACHABLE'
  | 'TEMPORAL_DB_IN_USE'
  /** A run the command's own worker was doing, cancelled by Ctrl-C or SIGTERM (runSync). */
  | 'CANCELLED'
  /** A command given without what it needs (`runs show` without a run id), as commander's own usage errors. */
  | 'USAGE';

export class BackflowError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'BackflowError';
  }
}

/**
 * Another run of the sync holds its one-run-at-a-time lease; `holderRunId` is that run's (= its
 * workflow's) id. `detail`: more on where that run is, and what to do.
 */
export class SyncAlreadyRunning extends BackflowError {
  constructor(
    readonly syncName: string,
    readonly holderRunId: string,
    detail?: string,
  ) {
    super('SYNC_ALREADY_RUNNING', `sync ${syncName} is already running (run ${holderRunId}); one run per sync at a time${detail ? `. The run was ${detail}` : ''}`);
    this.name = 'SyncAlreadyRunning';
  }
}

/** The run a workflow id names was opened by an earlier execution of that id, which ended without closing it. */
export class RunOfEndedExecution extends BackflowError {
  constructor(readonly runId: string) {
    super('RUN_OF_ENDED_EXECUTION', `run ${runId} was opened by an earlier execution of its workflow id, which ended without finishing it`);
    this.name = 'RunOfEndedExecution';
  }
}

/** One problem in a config file: the file, the path inside it, and what is wrong. */
export interface ConfigIssue {
  file: string;
  path: string;
  message: string;
}

export function formatConfigIssue(issue: ConfigIssue): string {
  return issue.path ? `${issue.file}: ${issue.path}: ${issue.message}` : `${issue.file}: ${issue.message}`;
}

/** Every problem found in the configuration, reported together. */
export class ConfigError extends BackflowError {
  constructor(readonly issues: ConfigIssue[]) {
    super('CONFIG_INVALID', issues.map(formatConfigIssue).join('\n'));
    this.name = 'ConfigError';
  }
}

/**
 * The destination failed a whole request in a way worth retrying (rate limit, 5xx, network).
 * `retryAfterMs` is the destination's own hint, when it gave one.
 */
export class DestinationTransientError extends BackflowError {
  constructor(
    message: string,
    readonly reason: string,
    readonly retryAfterMs?: number,
  ) {
    super('DESTINATION_TRANSIENT', message);
    this.name = 'DestinationTransientError';
  }
}

/**
 * The destination's budget is spent (a daily quota, or the API reserve backflow keeps for the org):
 * the run stops sending, ends `partial`, and the unsent records go out with the next run. Not retried.
 */
export class DestinationBudgetExhausted extends BackflowError {
  constructor(message: string) {
    super('DESTINATION_BUDGET_EXHAUSTED', message);
    this.name = 'DestinationBudgetExhausted';
  }
}

/**
 * The destination refused a whole request because of its content (e.g. HTTP 400 naming one input):
 * the engine bisects the batch to isolate the records at fault. `destinationCode` is the
 * destination's own error code, reported on each record found at fault.
 */
export class DestinationBatchRejected extends BackflowError {
  constructor(
    message: string,
    readonly destinationCode: string,
    readonly fields: string[] = [],
    /** Requests the refused write made (0 when its answer came from a checkpoint), for the run's API call count. */
    readonly apiCalls = 1,
  ) {
    super('DESTINATION_BATCH_REJECTED', message);
    this.name = 'DestinationBatchRejected';
  }
}
