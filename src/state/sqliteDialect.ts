import { CompiledQuery, SqliteAdapter, SqliteDialect, SqliteDriver, type DatabaseConnection, type DialectAdapter, type Driver, type SqliteDialectConfig } from 'kysely';
import { busyWaitingConnection } from './sqliteBusy';
import { yieldingConnection } from './sqliteYield';

/**
 * Kysely's SQLite dialect with write transactions begun IMMEDIATE. A deferred transaction (Kysely's
 * `begin`) that reads before it writes cannot wait for another process's write lock: SQLite answers
 * SQLITE_BUSY or SQLITE_BUSY_SNAPSHOT at once instead of using busy_timeout. Two workers sharing a
 * state file hit that on every few commits (measured: 4-5 failed activities per 80-batch run);
 * taking the write lock up front makes them queue behind busy_timeout instead.
 * Its one connection also lets the event loop turn during long chains of queries (see sqliteYield),
 * and waits for another process's write lock asynchronously (see sqliteBusy).
 */
export class ImmediateSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;

  constructor(config: SqliteDialectConfig) {
    super(config);
    this.#config = config;
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#config);
  }

  override createAdapter(): DialectAdapter {
    return new TransactionalDdlSqliteAdapter();
  }
}

/**
 * SQLite's DDL is transactional, which Kysely's adapter does not claim: its migrator then ran each
 * migration statement by statement, and a crash between two (migration 009 adds five columns, then an
 * index) left a store that could not migrate again ("duplicate column"). Claimed, the migrator applies
 * the pending migrations in one transaction (begun IMMEDIATE, below): all of them, or none.
 */
class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

class ImmediateSqliteDriver extends SqliteDriver {
  #connection: DatabaseConnection | undefined;

  override async acquireConnection(): Promise<DatabaseConnection> {
    const connection = await super.acquireConnection();
    this.#connection ??= yieldingConnection(busyWaitingConnection(connection));
    return this.#connection;
  }

  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}
