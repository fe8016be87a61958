import type { RedisPersistence } from "@tokenmeter/capture";
import type { DbClient } from "@tokenmeter/db";
import { withTimeout } from "@tokenmeter/runtime";
import type { Queue } from "bullmq";
import express, { type Router } from "express";
import type { Registry } from "prom-client";
import { redisUp } from "../queue-stats.js";

const DB_TIMEOUT_MS = 2000;
const REDIS_TIMEOUT_MS = 1000;

/** `GET /healthz` (200 while PostgreSQL answers, else 503; Redis is reported, not required) and `GET /metrics`. */
export function healthRouter(deps: {
  db: DbClient;
  queue?: Queue;
  registry: Registry;
  /** How the queue's Redis persists, as last read when it connected. */
  redisPersistence?: () => RedisPersistence;
}): Router {
  const router = express.Router();

  router.get("/healthz", async (_req, res) => {
    const [db, redis] = await Promise.all([
      withTimeout(deps.db.$queryRaw`SELECT 1`, DB_TIMEOUT_MS, "database ping").then(
        () => "up" as const,
        () => "down" as const,
      ),
      redisUp(deps.queue, REDIS_TIMEOUT_MS).then((up) => (up ? ("up" as const) : ("down" as const))),
    ]);
    // Redis only feeds Bull Board and queue gauges here, so its outage does not make this app unhealthy.
    res
      .status(db === "up" ? 200 : 503)
      .set("Cache-Control", "no-store")
      .json({
        status: db === "up" ? "ok" : "unavailable",
        db,
        redis,
        redis_persistence: deps.redisPersistence?.() ?? "unknown",
      });
  });

  router.get("/metrics", async (_req, res) => {
    res.set("Content-Type", deps.registry.contentType).send(await deps.registry.metrics());
  });

  return router;
}
