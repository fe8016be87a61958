import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "./generated/prisma/client.js";

/** Options for a Prisma client over node-postgres. */
export interface DbClientOptions {
  databaseUrl: string;
  /** Pool size of the node-postgres pool behind Prisma. */
  poolMax?: number;
}

/** Makes a Prisma client that talks to PostgreSQL through the `pg` driver adapter (no native engine). */
export function createDbClient(options: DbClientOptions): PrismaClient {
  const adapter = new PrismaPg({
    connectionString: options.databaseUrl,
    max: options.poolMax ?? 10,
    connectionTimeoutMillis: 5000,
  });
  return new PrismaClient({ adapter });
}

export type DbClient = PrismaClient;
