import { memoryWriteContext } from './writeContext';
import type { WriteContext } from '../../src/destinations/destination';
import { MetaAudienceDestination } from '../../src/destinations/meta';
import { startMetaSandbox, type MetaSandbox } from '../../src/sandbox/meta';

export function destinationAt(graphUrl: string, audienceId: string, accessToken: string): MetaAudienceDestination {
  return new MetaAudienceDestination({ type: 'meta_audience', accessToken, graphUrl, apiVersion: 'v24.0' }, { connection: 'meta', audienceId });
}

/** A context whose checkpoint survives across the writes of one batch, as the engine keeps it. */
export function contextOf(): WriteContext {
  return memoryWriteContext('accounts_to_meta_audience');
}

/** A Meta sandbox and a destination on its audience, fresh for each test of the describe it is called in. */
export function useMetaSandbox(): { readonly sandbox: MetaSandbox; readonly destination: MetaAudienceDestination } {
  let sandbox: MetaSandbox | undefined;
  let destination: MetaAudienceDestination | undefined;
  beforeEach(async () => {
    sandbox = await startMetaSandbox();
    destination = destinationAt(sandbox.graphUrl, sandbox.audienceId, sandbox.accessToken);
  });
  afterEach(async () => {
    await sandbox?.close();
  });
  return {
    get sandbox() {
      if (!sandbox) throw new Error('the Meta sandbox starts before each test');
      return sandbox;
    },
    get destination() {
      if (!destination) throw new Error('the Meta sandbox starts before each test');
      return destination;
    },
  };
}
