import pg from "pg";
import type { DbClient, DbClientOptions } from "./client.js";

/**
 * A plain node-postgres pool, for the few hot statements where Prisma's query compiler costs more than the
 * query: the worker's ingest (it marshalled ~30 array parameters through the compiler: ≈ 20 % of the worker's
 * CPU) and the proxy's key and service lookups (no Prisma client in the proxy: ≈ 20 MiB less per process).
 */
export type PgPool = pg.Pool;

/**
 * A pool with the same connection and timeout settings as `createDbClient`. An idle connection the server
 * drops (a restart, an outage) is reported to `onIdleError` and replaced at the next query: a pool without an
 * error listener would end the process instead.
 */
export function createPgPool(
  options: DbClientOptions,
  onIdleError: (error: Error) => void = () => {},
): PgPool {
  const pool = new pg.Pool({
    connectionString: options.databaseUrl,
    max: options.poolMax ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
    ...(options.statementTimeoutMs ? { statement_timeout: options.statementTimeoutMs } : {}),
  });
  pool.on("error", onIdleError);
  return pool;
}

/**
 * The rows of one parameterised statement, through a pool or a Prisma client alike, so a statement shared by
 * both (the ingest, the key lookup) is written once. int8 columns come back as strings from a pool and as
 * bigints from Prisma: read them with `BigInt(...)`.
 */
export async function queryRows<R>(db: DbClient | PgPool, sql: string, params: unknown[]): Promise<R[]> {
  if (db instanceof pg.Pool) return (await db.query(sql, params)).rows as R[];
  return db.$queryRawUnsafe<R[]>(sql, ...params);
}
