import { once } from "node:events";
import type http from "node:http";
import type { AddressInfo } from "node:net";
import { CAPTURE_QUEUE_NAME } from "@tokenmeter/capture";
import { createDbClient, type DbClient } from "@tokenmeter/db";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import type { Logger } from "pino";
import { CaptureSink } from "./capture-sink.js";
import { Directory, databaseDirectorySource } from "./directory.js";
import { DiskSpool } from "./disk-spool.js";
import type { ProxyEnv } from "./env.js";
import { KeyLimiter } from "./key-limits.js";
import { createProxyMetrics, type ProxyMetrics } from "./metrics.js";
import { createProxyServer } from "./server.js";

/** A running proxy: its server, port and parts, and a clean shutdown. */
export interface ProxyApp {
  server: http.Server;
  port: number;
  sink: CaptureSink;
  spool: DiskSpool;
  metrics: ProxyMetrics;
  db: DbClient;
  redis: Redis;
  /** Stops accepting, lets in-flight exchanges finish (up to `graceMs`), flushes or spools captures. */
  close(graceMs?: number): Promise<void>;
}

/** Starts the proxy: database client, Redis queue connection, disk spool, capture sink and HTTP server. */
export async function startProxyApp(env: ProxyEnv, logger: Logger): Promise<ProxyApp> {
  const db = createDbClient({ databaseUrl: env.DATABASE_URL, poolMax: 5 });
  const metrics = createProxyMetrics();

  // Fail fast while Redis is down (no offline queue): the sink spools instead of waiting.
  const redis = new Redis(env.REDIS_URL, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    // A Redis that accepts connections but never answers must not stall the sink: fail, and spool.
    commandTimeout: 5000,
    retryStrategy: (times) => Math.min(times * 200, 2000),
  });
  let lastRedisError = "";
  redis.on("error", (error) => {
    if (error.message !== lastRedisError) logger.warn({ err: error.message }, "redis connection error");
    lastRedisError = error.message;
  });
  redis.on("ready", () => {
    lastRedisError = "";
    logger.info("redis ready");
  });
  const queue = new Queue(CAPTURE_QUEUE_NAME, { connection: redis, prefix: env.QUEUE_PREFIX });
  queue.on("error", (error) => logger.debug({ err: error.message }, "queue error"));
  const redisReady = () => redis.status === "ready";

  const spool = new DiskSpool(env.SPOOL_DIR, env.SPOOL_MAX_BYTES);
  await spool.open();
  const [signingKey] = env.CAPTURE_SIGNING_KEY;
  if (!signingKey) throw new Error("CAPTURE_SIGNING_KEY is required");
  const sink = new CaptureSink(
    queue,
    redisReady,
    spool,
    env.ENQUEUE_INTERVAL_MS,
    logger,
    metrics,
    signingKey,
  );
  sink.start();
  const directory = new Directory(databaseDirectorySource(db, env.SECRETS_KEY), env.KEY_CACHE_TTL_MS);

  const limiter = new KeyLimiter(redis, env.QUEUE_PREFIX);
  limiter.start();
  const server = createProxyServer({ env, directory, limiter, sink, spool, metrics, logger, redisReady });
  server.listen(env.PROXY_PORT, env.HOST);
  await once(server, "listening");
  const port = (server.address() as AddressInfo).port;

  let closing: Promise<void> | null = null;
  const shutdown = async (graceMs: number) => {
    const closed = once(server, "close").catch(() => undefined);
    server.close();
    server.closeIdleConnections();
    const grace = setTimeout(() => server.closeAllConnections(), graceMs);
    await closed;
    clearTimeout(grace);
    limiter.stop();
    await sink.close();
    await queue.close().catch(() => undefined);
    redis.disconnect();
    await db.$disconnect();
  };

  return {
    server,
    port,
    sink,
    spool,
    metrics,
    db,
    redis,
    close(graceMs = 10_000) {
      closing ??= shutdown(graceMs);
      return closing;
    },
  };
}
