/**
 * Meta Marketing API sandbox: the custom audience users endpoints a reverse-ETL sync uses (add,
 * remove, replace with usersreplace sessions, read the audience), built from Meta's documented
 * behaviour — payload schema/data, hashed
 * identifier validation, 10,000-row batches, Graph error shapes and throttling codes. Removal takes
 * its parameters in the query string or a form body (as Meta documents it, `curl -X DELETE -F`);
 * a URL over 8 KiB is refused with 414 and an HTML page. Membership is a set of people: a removal
 * takes out the person a row matches by any strong identifier (see store.ts).
 */
import { MetaServer } from './server';
import type { MetaSandbox, MetaSandboxOptions } from './types';

export type { AudienceMember, MetaLimits, MetaRequestLogEntry, MetaSandbox, MetaSandboxOptions } from './types';
export { MAX_ROWS } from './payload';

export async function startMetaSandbox(options: MetaSandboxOptions = {}): Promise<MetaSandbox> {
  const server = new MetaServer(options);
  const host = options.host ?? '127.0.0.1';
  const port = await server.listen(options.port ?? 0, host);
  // A wildcard bind address is not something a client can connect to.
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return {
    graphUrl: `http://${urlHost}:${port}`,
    accessToken: server.accessToken,
    audienceId: server.defaultAudienceId,
    createAudience: (name) => server.store.create(name).id,
    members: (audienceId) => server.members(audienceId),
    requests: () => server.requests(),
    setFaults: (profile) => server.setFaults(profile),
    setLimits: (limits) => server.setLimits(limits),
    reset: () => server.reset(),
    close: () => server.close(),
  };
}
