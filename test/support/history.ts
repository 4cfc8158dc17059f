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
