/**
 * Where an activity failure sealed by the worker (src/temporal/sealedFailures.ts) keeps its message:
 * its details, which the payload codec encrypts, where a failure's message stays in the clear.
 */
export interface SealedMessage {
  sealedMessage: string;
}

/** The message a sealed failure keeps in its details; undefined for a failure not sealed. */
export function sealedMessageOf(failure: { details?: unknown[] | null | undefined }): string | undefined {
  const first: unknown = failure.details?.[0];
  return typeof first === 'object' && first !== null && typeof (first as Partial<SealedMessage>).sealedMessage === 'string'
    ? (first as SealedMessage).sealedMessage
    : undefined;
}

/** What history shows of a sealed failure, in the activity's and the run's failure alike: its code. */
export function sealedNote(code: string): string {
  return `${code}: the message is encrypted with BACKFLOW_PAYLOAD_KEY (in the failure's details; backflow runs shows it)`;
}
