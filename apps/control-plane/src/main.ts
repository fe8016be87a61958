import type { AddressInfo } from "node:net";
import {
  CAPTURE_QUEUE_NAME,
  type RedisPersistence,
  redisPersistence,
  redisPersistenceWarning,
} from "@tokenmeter/capture";
import { createDbClient } from "@tokenmeter/db";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import type { Logger } from "pino";
import { EnvError, parseEnv } from "./env.js";
import { createLogger } from "./logger.js";
import { withTimeout } from "./queue-stats.js";
import { createControlPlane } from "./server.js";
import { resealServiceCredentials } from "./services/service-credentials.js";

const FORCE_CLOSE_MS = 10_000;

// Redis emits an error on every reconnect attempt; one line per 30 s is enough to see an outage.
function throttledWarn(logger: Logger, what: string): (error: Error) => void {
  let last = 0;
  return (error) => {
    if (Date.now() - last < 30_000) return;
    last = Date.now();
    logger.warn({ error: error.message }, `${what} error`);
  };
}

async function main(): Promise<void> {
  let env: ReturnType<typeof parseEnv>;
  try {
    env = parseEnv();
  } catch (error) {
    if (!(error instanceof EnvError)) throw error;
    createLogger("info").fatal(error.message);
    process.exit(1);
  }
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
    logger.warn({ error: error.message }, "could not re-seal service credentials; will retry at next start");
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

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) {
      logger.warn({ signal }, "second signal: exiting without waiting");
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, "shutting down");
    // Stop accepting, let in-flight requests finish, and cut keep-alive connections that linger.
    const force = setTimeout(() => server.closeAllConnections(), FORCE_CLOSE_MS).unref();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    await closed;
    clearTimeout(force);
    await controlPlane.close();
    await withTimeout(queue.close(), 5000, "queue close").catch((error: Error) =>
      logger.warn({ error: error.message }, "queue did not close cleanly"),
    );
    await withTimeout(redis.quit(), 2000, "redis quit").catch(() => redis.disconnect());
    await db.$disconnect();
    logger.info("stopped");
    process.exit(0);
  };
  // A second signal while shutting down forces the exit (see the top of shutdown).
  const onSignal = (signal: string) =>
    shutdown(signal).catch((error: Error) => {
      logger.error({ error: error.message }, "shutdown failed");
      process.exit(1);
    });
  process.on("SIGTERM", () => void onSignal("SIGTERM"));
  process.on("SIGINT", () => void onSignal("SIGINT"));
}

main().catch((error: unknown) => {
  // Only reached before listening (bad port, address in use); the message carries no secrets.
  console.error("control-plane failed to start:", error instanceof Error ? error.message : error);
  process.exit(1);
});
