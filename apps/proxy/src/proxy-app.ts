import { once } from "node:events";
import type http from "node:http";
import type { AddressInfo } from "node:net";
import {
  createCaptureProducer,
  type RedisPersistence,
  redisPersistence,
  redisPersistenceWarning,
} from "@tokenmeter/capture";
import { createPgPool } from "@tokenmeter/pg";
import { Redis } from "ioredis";
import type { Logger } from "pino";
import { CaptureSink } from "./capture-sink.js";
import { clusterMetricsText } from "./cluster-metrics.js";
import { Directory, databaseDirectorySource } from "./directory.js";
import type { ProxyEnv } from "./env.js";
import { Journal } from "./journal.js";
import { claimJournalSlot, type JournalSlot } from "./journal-slot.js";
import { KeyLimiter } from "./key-limits.js";
import { createProxyMetrics, type ProxyMetrics, updateScrapeGauges } from "./metrics.js";
import { createProxyServer } from "./server.js";

/** A running proxy: its server, port and parts, and a clean shutdown. */
export interface ProxyApp {
  server: http.Server;
  port: number;
  sink: CaptureSink;
  journal: Journal;
  slot: JournalSlot;
  metrics: ProxyMetrics;
  redis: Redis;
  /** Stops accepting, lets in-flight exchanges finish (up to `graceMs`), flushes or spools captures. */
  close(graceMs?: number): Promise<void>;
}

/** How this process runs: alone, or as worker `workerIndex` of a clustered proxy. */
export interface ProxyProcessOptions {
  /** Set under the cluster primary: the journal slot this worker prefers, and /metrics from every worker. */
  workerIndex?: number;
}

/** Starts the proxy: database pool, Redis queue connection, capture journal and sink, HTTP server. */
export async function startProxyApp(
  env: ProxyEnv,
  logger: Logger,
  options: ProxyProcessOptions = {},
): Promise<ProxyApp> {
  // Two lookups, each cached: a plain pool, no Prisma client (its query compiler alone is ≈ 20 MiB per process).
  const db = createPgPool({ databaseUrl: env.DATABASE_URL, poolMax: 5 }, (err) =>
    logger.warn({ err: err.message }, "database connection lost; reconnecting at the next lookup"),
  );
  const metrics = createProxyMetrics();

  // Fail fast while Redis is down (no offline queue): the sink spools instead of waiting.
  const redis = new Redis(env.REDIS_URL, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    // A Redis that accepts connections but never answers must not stall the sink: fail, and spool.
    commandTimeout: 5000,
    // Back within a second of Redis: the journal's backlog is re-sent as soon as the connection is ready.
    retryStrategy: (times) => Math.min(times * 100, 1000),
  });
  let lastRedisError = "";
  redis.on("error", (error) => {
    if (error.message !== lastRedisError) logger.warn({ err: error }, "redis connection error");
    lastRedisError = error.message;
  });
  const producer = createCaptureProducer({ connection: redis, prefix: env.QUEUE_PREFIX, logger });
  const redisReady = () => redis.status === "ready";

  const slot = claimJournalSlot(env.JOURNAL_DIR, options.workerIndex);
  const journal = new Journal({
    dir: slot.dir,
    maxBytes: env.JOURNAL_MAX_BYTES,
    segmentBytes: env.JOURNAL_SEGMENT_BYTES,
    segmentMs: env.JOURNAL_SEGMENT_MS,
    fsyncMs: env.JOURNAL_FSYNC_MS,
  });
  const inherited = journal.open();
  for (const name of journal.foreignFiles)
    logger.warn({ file: name, dir: slot.dir }, "file in the journal directory that is not a journal segment");
  metrics.journalForeignFiles.set(journal.foreignFiles.length);
  if (inherited.length > 0 || slot.adopted > 0)
    logger.info(
      { dir: slot.dir, segments: inherited.length, adopted: slot.adopted },
      "journal segments from an earlier process: re-sending",
    );
  const [signingKey] = env.CAPTURE_SIGNING_KEY;
  if (!signingKey) throw new Error("CAPTURE_SIGNING_KEY is required");
  const sink = new CaptureSink(
    {
      producer,
      redis,
      redisReady,
      journal,
      inherited,
      logger,
      metrics,
      signingKey,
    },
    {
      intervalMs: env.ENQUEUE_INTERVAL_MS,
      ackPollMs: env.JOURNAL_ACK_POLL_MS,
      resendMs: env.JOURNAL_RESEND_MS,
      replayConcurrency: env.JOURNAL_REPLAY_CONCURRENCY,
    },
  );
  sink.start();

  // Every time the connection comes back, Redis may be a fresh, empty process: re-check persistence and
  // every batch Redis was holding.
  let persistence: RedisPersistence = "unknown";
  let everReady = false;
  redis.on("ready", () => {
    lastRedisError = "";
    logger.info("redis ready");
    if (everReady) sink.redisReconnected();
    everReady = true;
    void redisPersistence(redis).then((mode) => {
      persistence = mode;
      metrics.redisPersistent.set(mode === "aof" ? 1 : 0);
      const warning = redisPersistenceWarning(mode);
      if (warning) logger.warn({ persistence: mode }, warning);
    });
  });
  const directory = new Directory(
    databaseDirectorySource(db, env.SECRETS_KEY),
    env.KEY_CACHE_TTL_MS,
    undefined,
    env.LOOKUP_TIMEOUT_MS,
  );

  const limiter = new KeyLimiter(redis, env.QUEUE_PREFIX);
  limiter.start();
  const metricsText =
    options.workerIndex === undefined
      ? undefined
      : clusterMetricsText(metrics.registry, () => updateScrapeGauges(metrics, sink.stats(), redisReady()));
  const server = createProxyServer({
    metricsText,
    env,
    directory,
    limiter,
    sink,
    metrics,
    logger,
    redisReady,
    redisPersistence: () => persistence,
  });
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
    await sink.close(Math.min(graceMs, 2000));
    journal.close();
    slot.release();
    await producer.close().catch(() => undefined);
    redis.disconnect();
    await db.end();
  };

  return {
    server,
    port,
    sink,
    journal,
    slot,
    metrics,
    redis,
    close(graceMs = 10_000) {
      closing ??= shutdown(graceMs);
      return closing;
    },
  };
}
