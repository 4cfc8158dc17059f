import { once } from 'node:events';
import { BackflowError } from '../../errors';
import { payloadCodecsFromEnv } from '../../temporal/codec';
import { startCodecServer } from '../../temporal/codecServer';
import { listenProblem } from '../listenProblem';
import { originsOption, portOption } from '../options';
import { logTo } from '../output';

export interface CodecServerCommandOptions {
  port?: string;
  host?: string;
  /** Temporal Web origin(s), comma-separated. */
  origin?: string;
  json?: boolean;
}

/**
 * `backflow codec-server`: decodes (and encodes) payloads for Temporal Web and the `temporal` CLI
 * with BACKFLOW_PAYLOAD_KEY, so whoever holds the key reads history in the clear.
 */
export async function codecServerCommand(options: CodecServerCommandOptions): Promise<number> {
  const codecs = payloadCodecsFromEnv();
  if (codecs.length === 0) throw new BackflowError('CONFIG_INVALID', 'BACKFLOW_PAYLOAD_KEY is not set: the codec server needs the key the payloads were encrypted with');
  const port = options.port === undefined ? 8888 : portOption(options.port);
  const origins = originsOption(options.origin ?? 'http://localhost:8233,http://127.0.0.1:8233');
  const host = options.host ?? '127.0.0.1';
  const server = await startCodecServer({ codecs, port, host, origins }).catch((err: unknown) => {
    throw listenProblem(err, host, port);
  });
  const log = logTo(options.json ?? false);
  if (options.json) process.stdout.write(`${JSON.stringify({ url: server.url, origins })}\n`);
  log(`codec server: ${server.url} (for Temporal Web: Settings → Codec Server → ${server.url}; origins ${origins.join(', ')})`);
  log(`temporal CLI: temporal workflow show --codec-endpoint ${server.url} …`);
  await Promise.race([once(process, 'SIGINT'), once(process, 'SIGTERM')]);
  await server.close();
  return 0;
}
