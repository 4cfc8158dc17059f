import type { Client } from '@temporalio/client';
import type { temporal as proto } from '@temporalio/proto';

/** A whole history as text, followed by every payload's bytes (base64 in the JSON form) decoded. */
export function historyText(history: proto.api.history.v1.IHistory): string {
  const decoded: string[] = [];
  const json = JSON.stringify(history, (key, value: unknown) => {
    if (value instanceof Uint8Array) decoded.push(Buffer.from(value).toString('utf8'));
    else if (key === 'data' && typeof value === 'string') decoded.push(Buffer.from(value, 'base64').toString('utf8'));
    return value;
  });
  return `${json}\n${decoded.join('\n')}`;
}

/** Waits until an activity of the workflow is being retried, and returns its last failure's message. */
export async function lastActivityFailure(client: Client, workflowId: string): Promise<string> {
  for (;;) {
    const { raw } = await client.workflow.getHandle(workflowId).describe();
    const message = raw.pendingActivities?.find((activity) => activity.lastFailure)?.lastFailure?.message;
    if (message) return message;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
