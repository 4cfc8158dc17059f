/**
 * A failed run's message as the workflow (and `backflow run`) reports it: the run's own, prefixed with
 * the sync unless it names it already. `sync X failed: sync X: connection … has moved` said it twice.
 */
export function failedMessage(sync: string, message: string): string {
  return message.startsWith(`sync ${sync}`) ? message : `sync ${sync} failed: ${message}`;
}
