import type { RedisPersistence } from "@tokenmeter/capture";
import type { DbClient } from "@tokenmeter/db";
import type { Queue } from "bullmq";
import express, { type Express, type RequestHandler } from "express";
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import { requireAdmin } from "./auth.js";
import type { Env } from "./env.js";
import { errorHandler, notFoundHandler } from "./errors.js";
import { requireSameOriginJson } from "./http/same-origin.js";
import { createLogger } from "./logger.js";
import { createMetrics, rememberRouteBase } from "./metrics.js";
import { createReadClients, queryClass, queryTimeoutHandler, type ReadClients } from "./read-clients.js";
import { adminAlertsRouter } from "./routes/admin-alerts.js";
import { adminBuyersRouter } from "./routes/admin-buyers.js";
import { adminLedgerRouter } from "./routes/admin-ledger.js";
import { adminPricesRouter } from "./routes/admin-prices.js";
import { adminSellersRouter } from "./routes/admin-sellers.js";
import { adminServicesRouter } from "./routes/admin-services.js";
import { adminUsageRouter } from "./routes/admin-usage.js";
import { adminUsageRulesRouter } from "./routes/admin-usage-rules.js";
import { dashboardRouter } from "./routes/dashboard.js";
import { healthRouter } from "./routes/health.js";
import { QUEUES_BASE_PATH, queuesHandler, refuseJobWrites } from "./routes/queues.js";
import { sellerUsageRouter } from "./routes/seller-usage.js";
import { usagePageRouter } from "./routes/usage-page.js";
import { usageSummaryRouter } from "./routes/usage-summary.js";

/** What the control plane needs; the caller owns (and closes) the database client and the queue. */
export interface ControlPlaneDeps {
  env: Env;
  db: DbClient;
  /** The captures queue for Bull Board, the dashboard and queue gauges; without it those report it missing. */
  queue?: Queue;
  logger?: Logger;
  /** How the queue's Redis persists (reported by /healthz). */
  redisPersistence?: () => RedisPersistence;
  /** The report pools; by default opened from env (and closed by `close`). */
  readers?: ReadClients;
}

/** The assembled app, not yet listening. */
export interface ControlPlane {
  app: Express;
  registry: Registry;
  /** Releases what the app itself created (metrics registry, read pools it opened); not db or queue. */
  close(): Promise<void>;
}

// One line per request with method, path (no query string), status and duration; never headers or bodies.
function requestLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.on("finish", () => {
      const path = req.originalUrl.split("?")[0];
      const quiet =
        path === "/healthz" || path === "/metrics" || path?.startsWith(`${QUEUES_BASE_PATH}/static`);
      logger[quiet ? "debug" : "info"](
        {
          method: req.method,
          path,
          status: res.statusCode,
          ms: Number((process.hrtime.bigint() - started) / 1000n) / 1000,
        },
        "request",
      );
    });
    next();
  };
}

/** Builds the control-plane Express app: usage summary, admin API, dashboard, Bull Board, health and metrics. */
export function createControlPlane(deps: ControlPlaneDeps): ControlPlane {
  const { env, db, queue } = deps;
  const logger = deps.logger ?? createLogger(env.LOG_LEVEL);
  const metrics = createMetrics(queue);
  const ownReaders = deps.readers === undefined;
  const readers = deps.readers ?? createReadClients(env);
  const app = express();
  app.disable("x-powered-by");

  app.use(metrics.middleware);
  app.use(requestLog(logger));
  app.use(healthRouter({ db, queue, registry: metrics.registry, redisPersistence: deps.redisPersistence }));
  app.use(
    "/api/v1",
    rememberRouteBase,
    queryClass("reads"),
    usageSummaryRouter(db, readers.reads),
    sellerUsageRouter(db, readers.reads),
  );
  app.use("/usage", rememberRouteBase, usagePageRouter());
  // Browser pages: HTTP Basic (password = admin token) works besides Bearer, since browsers cannot send Bearer.
  const browserAdmin = requireAdmin(env.ADMIN_TOKEN, { allowBasic: true });
  app.use(
    QUEUES_BASE_PATH,
    rememberRouteBase,
    browserAdmin,
    requireSameOriginJson,
    refuseJobWrites,
    queuesHandler(queue),
  );
  app.use(
    "/dashboard",
    rememberRouteBase,
    browserAdmin,
    queryClass("dashboard"),
    dashboardRouter({ db: readers.dashboard, queue, cacheMs: env.DASHBOARD_CACHE_MS }),
  );
  app.use("/admin/usage", queryClass("heavy"));
  // Bodies are parsed only after authentication, so anonymous clients cannot make the app parse 1 MB of JSON.
  app.use(
    "/admin",
    rememberRouteBase,
    requireAdmin(env.ADMIN_TOKEN),
    requireSameOriginJson,
    express.json({ limit: "1mb" }),
    adminServicesRouter(db, { keyring: env.SECRETS_KEY, privateUpstreams: env.ALLOW_PRIVATE_UPSTREAMS }),
    adminBuyersRouter(db),
    adminPricesRouter(db),
    adminUsageRouter(db, readers.heavy),
    adminUsageRulesRouter(db),
    adminLedgerRouter(db),
    adminSellersRouter(db),
    adminAlertsRouter(db),
  );
  app.use(notFoundHandler);
  app.use(queryTimeoutHandler(metrics.queryTimeouts));
  app.use(errorHandler(logger));

  return {
    app,
    registry: metrics.registry,
    async close() {
      metrics.registry.clear();
      if (ownReaders) await readers.close();
    },
  };
}
