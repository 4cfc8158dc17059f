import type { ErrorCode } from '../errors';

/**
 * The reason Temporal's scheduler gives the run it terminates under the `terminate_other` overlap
 * policy (a run cancelled under `cancel_other` closes itself CANCELLED).
 */
export const TERMINATED_BY_OVERLAP_POLICY = 'terminated by schedule overlap policy';

/**
 * The error a run is closed with when its workflow ended without closing it. A run the schedule's
 * own `terminate_other` policy ended for its next fire is RUN_SUPERSEDED: what the user chose, so
 * it alerts nothing (as a cancelled run), where any other end (an operator's terminate, a timeout)
 * is RUN_ABANDONED, a failure that alerts. `closed` says who closed it (`closed when run … started`).
 */
export function endedRunError(ended: { status: string; terminateReason?: string }, closed: string, nextRun?: string): { code: ErrorCode; message: string } {
  if (ended.status === 'TERMINATED' && ended.terminateReason === TERMINATED_BY_OVERLAP_POLICY) {
    return {
      code: 'RUN_SUPERSEDED',
      message: `its schedule's overlap policy (terminate_other) ended it for the next run${nextRun ? `, ${nextRun}` : ''}; ${closed}`,
    };
  }
  return { code: 'RUN_ABANDONED', message: `its workflow ended (${ended.status}) without finishing the run; ${closed}` };
}
