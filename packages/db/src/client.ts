import { PrismaPg } from "@prisma/adapter-pg";
import { type PgConnectionOptions, pgPoolConfig } from "@tokenmeter/pg";
import { PrismaClient } from "./generated/prisma/client.js";

/** Options for a Prisma client over node-postgres: the settings of a plain @tokenmeter/pg pool. */
export type DbClientOptions = PgConnectionOptions;

/** Makes a Prisma client that talks to PostgreSQL through the `pg` driver adapter (no native engine). */
export function createDbClient(options: DbClientOptions): PrismaClient {
  return new PrismaClient({ adapter: new PrismaPg(pgPoolConfig(options)) });
}

export type DbClient = PrismaClient;

/**
 * Why a query failed for lack of time, if it did: `statement_timeout` (the server cancelled it, SQLSTATE 57014)
 * or `pool_timeout` (no connection became free within the connect timeout). Anything else: undefined.
 */
export function queryTimeoutKind(error: unknown): "statement_timeout" | "pool_timeout" | undefined {
  const cause = (
    error as { meta?: { driverAdapterError?: { cause?: { originalCode?: string; code?: string } } } }
  )?.meta?.driverAdapterError?.cause;
  const code = cause?.originalCode ?? cause?.code ?? (error as { code?: string })?.code;
  if (code === "57014") return "statement_timeout";
  const message = String((error as { message?: unknown })?.message ?? "");
  if (
    /timeout exceeded when trying to connect|Connection terminated due to connection timeout/i.test(message)
  ) {
    return "pool_timeout";
  }
  return undefined;
}
