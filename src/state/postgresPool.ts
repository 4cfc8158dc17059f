import type { PostgresPool } from 'kysely';
import type { Pool } from 'pg';
import { redactStateUrl } from './stateUrl';

/**
 * A connection the PostgreSQL state store did not give (down, restarting, a password rotated), named:
 * pg's own `connect ECONNREFUSED 10.0.0.7:5432` did not say which PostgreSQL, and the warehouse is
 * often one too. Not a BackflowError, so the activity that met it is retried; `code` stays pg's.
 */
export class StateStoreConnectFailed extends Error {
  readonly code: string | undefined;

  constructor(url: string, cause: unknown) {
    // Read, not `instanceof Error`: a socket error is made by Node itself, outside a test's VM context.
    const reason = (cause as { message?: unknown } | null)?.message;
    super(`cannot reach the PostgreSQL state store ${redactStateUrl(url)}: ${typeof reason === 'string' ? reason : String(cause)}`, { cause });
    this.name = 'StateStoreConnectFailed';
    const code = (cause as { code?: unknown } | null)?.code;
    this.code = typeof code === 'string' ? code : undefined;
  }
}

/** The pool as Kysely uses it, each connection it cannot open failing with StateStoreConnectFailed. */
export function namedPool(pool: Pool, url: string): PostgresPool {
  return {
    connect: async () => {
      try {
        return await pool.connect();
      } catch (err) {
        throw new StateStoreConnectFailed(url, err);
      }
    },
    end: () => pool.end(),
  };
}
