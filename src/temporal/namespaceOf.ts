import type { Client } from '@temporalio/client';
import type { TemporalNamespace } from '../state/runs';

const known = new WeakMap<Client, Promise<TemporalNamespace>>();

/**
 * The namespace `client` works in, with the id its cluster gave it (asked once per client). A run
 * records it (see runningElsewhere): its name alone does not tell two clusters' `default` apart.
 */
export function namespaceOf(client: Client): Promise<TemporalNamespace> {
  const cached = known.get(client);
  if (cached) return cached;
  const name = client.options.namespace;
  const asked = client.workflowService.describeNamespace({ namespace: name }).then((described) => {
    const id = described.namespaceInfo?.id;
    if (!id) throw new Error(`Temporal described namespace ${name} without its id`);
    return { name, id };
  });
  // A failed answer is asked again next time, not remembered.
  asked.catch(() => known.delete(client));
  known.set(client, asked);
  return asked;
}
