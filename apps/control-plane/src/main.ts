import type { AddressInfo } from "node:net";
import {
  CAPTURE_QUEUE_NAME,
  type RedisPersistence,
  redisPersistence,
  redisPersistenceWarning,
} from "@tokenmeter/capture";
import { createDbClient } from "@tokenmeter/db";
import { installShutdown, loadEnv, withTimeout } from "@tokenmeter/runtime";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import type { Logger } from "pino";
import { parseEnv } from "./env.js";
import { createLogger } from "./logger.js";
import { createControlPlane } from "./server.js";
import { resealServiceCredentials } from "./services/service-credentials.js";

const FORCE_CLOSE_MS = 10_000;

// Redis emits an error on every reconnect attempt; one line per 30 s is enough to see an outage.
function throttledWarn(logger: Logger, what: string): (error: Error) => void {
  let last = 0;
  return (error) => {
    if (Date.now() - last < 30_000) return;
    last = Date.now();
    logger.warn({ err: error }, `${what} error`);
  };
}

async function main(): Promise<void> {
  const env = loadEnv(() => parseEnv());
  const logger = createLogger(env.LOG_LEVEL);
  const db = createDbClient({
    databaseUrl: env.DATABASE_URL,
    poolMax: env.DB_POOL_MAX,
    connectTimeoutMs: env.DB_CONNECT_TIMEOUT_MS,
  });
  // The queue only backs Bull Board and counts: fail fast while Redis is down instead of queueing commands.
  const redis = new Redis(env.REDIS_URL, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  redis.on("error", throttledWarn(logger, "redis"));
  // Each time Redis (re)appears it may be a different process: say so when it would lose queued captures.
  let persistence: RedisPersistence = "unknown";
  redis.on("ready", () => {
    void redisPersistence(redis).then((mode) => {
      persistence = mode;
      const warning = redisPersistenceWarning(mode);
      if (warning) logger.warn({ persistence: mode }, warning);
    });
  });
  const queue = new Queue(CAPTURE_QUEUE_NAME, { connection: redis, prefix: env.QUEUE_PREFIX });
  queue.on("error", throttledWarn(logger, "queue"));

  // Credentials left in plaintext by older versions, or sealed with a retired key, are sealed anew.
  const resealed = await resealServiceCredentials(db, env.SECRETS_KEY).catch((error: Error) => {
    logger.warn({ err: error }, "could not re-seal service credentials; will retry at next start");
    return 0;
  });
  if (resealed > 0) logger.info({ services: resealed }, "service credentials sealed with the current key");

  const controlPlane = createControlPlane({
    env,
    db,
    queue,
    logger,
    redisPersistence: () => persistence,
  });
  const server = controlPlane.app.listen(env.API_PORT, env.HOST);
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  });
  const { port } = server.address() as AddressInfo;
  const host = env.HOST.includes(":") ? `[${env.HOST}]` : env.HOST;
  logger.info({ port, url: `http://${host}:${port}` }, "listening");

  // In order: stop accepting (in-flight requests finish; lingering keep-alive connections are cut after
  // FORCE_CLOSE_MS), then what the app created, then the connections it used.
  installShutdown({
    logger,
    closers: [
      {
        name: "http server",
        timeoutMs: FORCE_CLOSE_MS + 5000,
        close: async () => {
          const force = setTimeout(() => server.closeAllConnections(), FORCE_CLOSE_MS).unref();
          const closed = new Promise<void>((resolve) => server.close(() => resolve()));
          server.closeIdleConnections();
          await closed;
          clearTimeout(force);
        },
      },
      { name: "control plane", close: () => controlPlane.close(), timeoutMs: 5000 },
      // Redis being down must not fail the shutdown: the queue only served reads.
      {
        name: "queue",
        close: () =>
          withTimeout(queue.close(), 5000, "queue close").catch((err: Error) =>
            logger.warn({ err }, "queue did not close cleanly"),
          ),
      },
      {
        name: "redis",
        close: () => withTimeout(redis.quit(), 2000, "redis quit").catch(() => redis.disconnect()),
      },
      { name: "database", close: () => db.$disconnect(), timeoutMs: 5000 },
    ],
  });
}

main().catch((error: unknown) => {
  // Only reached before listening (bad port, address in use); the message carries no secrets.
  console.error("control-plane failed to start:", error instanceof Error ? error.message : error);
  process.exit(1);
});
