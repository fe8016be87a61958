import pg from "pg";

/** How to reach PostgreSQL: the settings a pool here and a Prisma client in @tokenmeter/db share. */
export interface PgConnectionOptions {
  databaseUrl: string;
  /** Most connections the pool opens. */
  poolMax?: number;
  /** How long a query waits for a free connection (or to open one) before failing; default 5 s. */
  connectTimeoutMs?: number;
  /**
   * PostgreSQL's `statement_timeout` for every statement on this pool (0 or absent: none). A statement past it
   * is cancelled by the server (SQLSTATE 57014), which frees the connection for the next query.
   */
  statementTimeoutMs?: number;
}

/** What `queryRows` needs of a Prisma client (the proxy never loads Prisma; the control plane passes one). */
export interface RawQueryClient {
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T>;
}

/**
 * A plain node-postgres pool, for the few hot statements where Prisma's query compiler costs more than the
 * query: the worker's ingest (it marshalled ~30 array parameters through the compiler: ≈ 20 % of the worker's
 * CPU) and the proxy's key and service lookups (no Prisma client in the proxy: ≈ 20 MiB less per process).
 */
export type PgPool = pg.Pool;

/** node-postgres settings for these options: a plain pool here and Prisma's driver adapter are made with them. */
export function pgPoolConfig(options: PgConnectionOptions): pg.PoolConfig {
  return {
    connectionString: options.databaseUrl,
    max: options.poolMax ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
    ...(options.statementTimeoutMs ? { statement_timeout: options.statementTimeoutMs } : {}),
  };
}

/**
 * A pool with the same connection and timeout settings as @tokenmeter/db's `createDbClient`. An idle connection
 * the server drops (a restart, an outage) is reported to `onIdleError` and replaced at the next query: a pool
 * without an error listener would end the process instead.
 */
export function createPgPool(
  options: PgConnectionOptions,
  onIdleError: (error: Error) => void = () => {},
): PgPool {
  const pool = new pg.Pool(pgPoolConfig(options));
  pool.on("error", onIdleError);
  return pool;
}

/**
 * The rows of one parameterised statement, through a pool or a Prisma client alike, so a statement shared by
 * both (the ingest, the key lookup) is written once. int8 columns come back as strings from a pool and as
 * bigints from Prisma: read them with `BigInt(...)`.
 */
export async function queryRows<R>(
  db: RawQueryClient | PgPool,
  sql: string,
  params: unknown[],
): Promise<R[]> {
  if (db instanceof pg.Pool) return (await db.query(sql, params)).rows as R[];
  return db.$queryRawUnsafe<R[]>(sql, ...params);
}
