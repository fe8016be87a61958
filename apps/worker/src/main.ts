import { once } from "node:events";
import type { AddressInfo } from "node:net";
import {
  createCaptureProducer,
  type RedisPersistence,
  redisPersistence,
  redisPersistenceWarning,
} from "@tokenmeter/capture";
import { createDbClient, createPgPool } from "@tokenmeter/db";
import { syncBuiltinPrices } from "@tokenmeter/metering";
import { installShutdown, loadEnv } from "@tokenmeter/runtime";
import { Redis } from "ioredis";
import { pino } from "pino";
import { startAlertEvaluator } from "./alerts/evaluator.js";
import { createAlertMetrics } from "./alerts/metrics.js";
import { captureQueueState } from "./alerts/queue-state.js";
import { startWebhookDelivery } from "./alerts/webhook-delivery.js";
import { parseWorkerEnv } from "./env.js";
import { createHealthServer } from "./health-server.js";
import { startMeteringWorker } from "./metering-worker.js";
import { createWorkerMetrics } from "./metrics.js";
import { createPartitionMetrics, startPartitionMaintenance } from "./partition-maintenance.js";

const env = loadEnv(() => parseWorkerEnv());
const logger = pino({ level: env.LOG_LEVEL, base: { app: "worker" } });
const db = createDbClient({ databaseUrl: env.DATABASE_URL, poolMax: 4 });
// Usage rows go through node-postgres directly: Prisma's raw-query path cost ≈ 20 % of the worker's CPU.
const ledger = createPgPool({ databaseUrl: env.DATABASE_URL, poolMax: 4 }, (err) =>
  logger.warn({ err: err.message }, "database connection lost; reconnecting at the next batch"),
);
// The change counters read before each batch get their own connection: never queued behind an insert.
const counters = createPgPool({ databaseUrl: env.DATABASE_URL, poolMax: 1 }, (err) =>
  logger.warn({ err: err.message }, "database connection lost; reconnecting at the next batch"),
);
const metrics = createWorkerMetrics();

// BullMQ workers need `maxRetriesPerRequest: null`: blocking commands wait through Redis outages.
// Reconnect within a second of Redis coming back (ioredis backs off to 2 s): the backlog the proxies' journals
// re-send after an outage should start draining at once.
const connection = new Redis(env.REDIS_URL, {
  maxRetriesPerRequest: null,
  lazyConnect: false,
  retryStrategy: (times) => Math.min(times * 100, 1000),
});
connection.on("error", (err) => logger.warn({ err }, "redis connection error"));
// Each time Redis (re)appears it may be a different process: say so when it would lose queued captures.
let persistence: RedisPersistence = "unknown";
const checkPersistence = () =>
  void redisPersistence(connection).then((mode) => {
    persistence = mode;
    const warning = redisPersistenceWarning(mode);
    if (warning) logger.warn({ persistence: mode }, warning);
  });
connection.on("ready", checkPersistence);
if (connection.status === "ready") checkPersistence();

const synced = await syncBuiltinPrices(db);
logger.info(synced, "built-in prices synced");
const metering = await startMeteringWorker({
  db,
  ledger,
  counters,
  connection,
  prefix: env.QUEUE_PREFIX,
  concurrency: env.WORKER_CONCURRENCY,
  batchMaxRows: env.BATCH_MAX_ROWS,
  batchMaxWaitMs: env.BATCH_MAX_WAIT_MS,
  priceRefreshMs: env.PRICE_REFRESH_MS,
  priceMissRecheckMs: env.PRICE_MISS_RECHECK_MS,
  listenDatabaseUrl: env.DATABASE_URL,
  captureRetentionDays: env.CAPTURE_RETENTION_DAYS,
  lockMs: env.WORKER_LOCK_MS,
  signingKeys: env.CAPTURE_SIGNING_KEY,
  logger,
  metrics,
});

// Alerts run on their own queues: evaluation and webhook delivery never wait on or delay metering.
const alertMetrics = createAlertMetrics(metrics.registry);
const captureQueue = createCaptureProducer({ connection, prefix: env.QUEUE_PREFIX, logger });
const webhooks = startWebhookDelivery({
  connection,
  prefix: env.QUEUE_PREFIX,
  options: {
    url: env.ALERT_WEBHOOK_URL,
    secret: env.ALERT_WEBHOOK_SECRET,
    backoffMs: env.ALERT_WEBHOOK_BACKOFF_MS,
    attempts: env.ALERT_WEBHOOK_ATTEMPTS,
    timeoutMs: 10_000,
  },
  logger,
  metrics: alertMetrics,
});
const alerts = await startAlertEvaluator({
  db,
  redis: connection,
  prefix: env.QUEUE_PREFIX,
  everyMs: env.ALERT_EVALUATE_MS,
  lockMs: Math.max(60_000, env.ALERT_EVALUATE_MS * 2),
  captureQueueState: () => captureQueueState(captureQueue.queue),
  logger,
  metrics: alertMetrics,
  deliver: (events) => webhooks.enqueue(events),
});

// usage_logs partitions: months created ahead, retention, one reindex per closed month (one runner at a time).
const partitions = await startPartitionMaintenance({
  db,
  redis: connection,
  prefix: env.QUEUE_PREFIX,
  everyMs: env.USAGE_PARTITION_MAINTENANCE_MS,
  monthsAhead: env.USAGE_PARTITIONS_AHEAD,
  retentionMonths: env.USAGE_RETENTION_MONTHS,
  lockMs: 30 * 60_000,
  logger,
  metrics: createPartitionMetrics(metrics.registry),
});

const server = createHealthServer(metrics.registry, async () => {
  const redis = connection.status === "ready" ? "up" : "down";
  const dbUp = await db.$queryRaw`SELECT 1`.then(
    () => true,
    () => false,
  );
  return {
    ok: dbUp && redis === "up",
    detail: { db: dbUp ? "up" : "down", redis, redis_persistence: persistence },
  };
});
server.listen(env.WORKER_PORT, env.HOST);
await once(server, "listening");
const port = (server.address() as AddressInfo).port;
logger.info({ port, url: `http://${env.HOST}:${port}` }, "listening");

// In order: stop answering health checks, finish active jobs, then the queues and connections they use.
installShutdown({
  logger,
  message: "shutting down: finishing active jobs",
  closers: [
    // Not awaited: a scraper's keep-alive connection must not hold the shutdown up.
    { name: "health server", close: () => void server.close() },
    { name: "metering worker", close: () => metering.close(), timeoutMs: 60_000 },
    { name: "alert evaluator", close: () => alerts.close(), timeoutMs: 10_000 },
    { name: "partition maintenance", close: () => partitions.close(), timeoutMs: 10_000 },
    { name: "webhook delivery", close: () => webhooks.close(), timeoutMs: 10_000 },
    { name: "capture queue", close: () => captureQueue.close(), timeoutMs: 5000 },
    { name: "redis", close: () => connection.quit().catch(() => connection.disconnect()), timeoutMs: 2000 },
    { name: "database", close: () => db.$disconnect(), timeoutMs: 5000 },
    { name: "ledger pool", close: () => ledger.end(), timeoutMs: 5000 },
    { name: "counters pool", close: () => counters.end(), timeoutMs: 5000 },
  ],
});
