import { createDbClient, type DbClient, queryTimeoutKind } from "@tokenmeter/db";
import type { ErrorRequestHandler, RequestHandler } from "express";
import type { Counter } from "prom-client";
import type { Env } from "./env.js";
import { ApiError } from "./errors.js";

/** The route classes, each with its own pool and statement_timeout so one slow class cannot starve another. */
export type QueryClass = "reads" | "heavy" | "dashboard";

/** The clients the report routes read with; the writes client (DATABASE_URL) is not among them. */
export interface ReadClients {
  /** Buyer and seller summaries and breakdowns. */
  reads: DbClient;
  /** Admin usage reports across buyers: a small pool of its own. */
  heavy: DbClient;
  /** The operator dashboard. */
  dashboard: DbClient;
  close(): Promise<void>;
}

/** Opens the three read pools on DATABASE_READ_URL (a replica) or, without it, on DATABASE_URL. */
export function createReadClients(env: Env): ReadClients {
  const databaseUrl = env.DATABASE_READ_URL ?? env.DATABASE_URL;
  const client = (poolMax: number, statementTimeoutMs: number) =>
    createDbClient({ databaseUrl, poolMax, statementTimeoutMs, connectTimeoutMs: env.DB_CONNECT_TIMEOUT_MS });
  const reads = client(env.DB_READ_POOL_MAX, env.READ_QUERY_TIMEOUT_MS);
  const heavy = client(env.DB_HEAVY_POOL_MAX, env.HEAVY_QUERY_TIMEOUT_MS);
  const dashboard = client(env.DB_DASHBOARD_POOL_MAX, env.DASHBOARD_QUERY_TIMEOUT_MS);
  return {
    reads,
    heavy,
    dashboard,
    async close() {
      await Promise.all([reads.$disconnect(), heavy.$disconnect(), dashboard.$disconnect()]);
    },
  };
}

/** Marks the requests below it with their query class (the timeout metric's label). */
export const queryClass =
  (name: QueryClass): RequestHandler =>
  (_req, res, next) => {
    res.locals.queryClass = name;
    next();
  };

/**
 * Turns a query that ran out of time (statement_timeout, or no free connection) into 503 `query_timeout`,
 * counted per class, before the generic error handler would make it a 500.
 */
export function queryTimeoutHandler(timeouts: Counter<"class" | "kind">): ErrorRequestHandler {
  return (error, _req, res, next) => {
    const kind = queryTimeoutKind(error);
    if (!kind) return next(error);
    const name = typeof res.locals.queryClass === "string" ? res.locals.queryClass : "other";
    timeouts.inc({ class: name, kind });
    next(new ApiError("query_timeout", "the report took too long; try a shorter period or again later"));
  };
}
