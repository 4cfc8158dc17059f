import { registerSearchAttributes } from '../../ops/searchAttributes';
import { cliContext } from '../context';
import { logTo } from '../output';
import { connectCluster } from './schedules';

/** `backflow setup`: registers backflow's search attributes on an existing cluster (idempotent). */
export async function setupCommand(options: { project?: string; json?: boolean }): Promise<number> {
  const ctx = cliContext(options);
  const log = logTo(options.json ?? false);
  return connectCluster(ctx, async (server) => {
    const result = await registerSearchAttributes(server.client.connection, server.namespace);
    if (options.json) process.stdout.write(`${JSON.stringify({ namespace: server.namespace, ...result })}\n`);
    else {
      for (const name of result.added) log(`registered search attribute ${name} in namespace ${server.namespace}`);
      if (result.added.length === 0) log(`search attributes already registered in namespace ${server.namespace}: ${result.present.join(', ')}`);
    }
    return 0;
  });
}
