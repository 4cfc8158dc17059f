import { BackflowError } from '../errors';

/**
 * Why a server the command starts (codec-server, sandbox) could not listen, said with the flag that
 * chooses the port or interface: Node's own `listen EADDRINUSE …` named no flag and reached `--json`
 * as the catch-all code ERROR (codec-server's default port 8888 taken was not a flag the user gave).
 */
export function listenProblem(err: unknown, host: string, port: number): unknown {
  const code = err instanceof Error ? (err as NodeJS.ErrnoException).code : undefined;
  switch (code) {
    case 'EADDRINUSE':
      return new BackflowError('CONFIG_INVALID', `--port ${port}: ${host}:${port} is already in use (another server listens there); choose another --port (0: any free port)`);
    case 'EACCES':
      return new BackflowError('CONFIG_INVALID', `--port ${port}: not allowed to listen on ${host}:${port} (ports below 1024 need privileges); choose another --port`);
    case 'EADDRNOTAVAIL':
      return new BackflowError('CONFIG_INVALID', `--host ${host}: not an address of this machine; give one of its interfaces (127.0.0.1, 0.0.0.0 for all)`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new BackflowError('CONFIG_INVALID', `--host ${host}: no such host name; give one of this machine's interfaces (127.0.0.1, 0.0.0.0 for all)`);
    default:
      return err;
  }
}
