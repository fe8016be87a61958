import cluster from "node:cluster";
import { installShutdown, loadEnv } from "@tokenmeter/runtime";
import { pino } from "pino";
import { runProxyPrimary, workerIndex } from "./cluster-primary.js";
import { parseProxyEnv } from "./env.js";
import { startProxyApp } from "./proxy-app.js";

const env = loadEnv(() => parseProxyEnv());
const index = workerIndex();
const logger = pino({
  level: env.LOG_LEVEL,
  base:
    index === undefined
      ? { app: "proxy", pid: process.pid }
      : { app: "proxy", worker: index, pid: process.pid },
});

if (cluster.isPrimary && env.PROXY_WORKERS > 1) {
  runProxyPrimary(env.PROXY_WORKERS, logger);
} else {
  const proxy = await startProxyApp(env, logger, { workerIndex: index });
  logger.info(
    { port: proxy.port, url: `http://127.0.0.1:${proxy.port}`, journal: proxy.slot.dir },
    "listening",
  );
  const shutdown = installShutdown({
    logger,
    message: "shutting down: draining connections and captures",
    // Under the primary only its SIGTERM counts (see runProxyPrimary); Ctrl-C's SIGINT to the group is ignored.
    signals: index === undefined ? ["SIGINT", "SIGTERM"] : ["SIGTERM"],
    closers: [{ name: "proxy", close: () => proxy.close(), timeoutMs: 30_000 }],
  });
  if (index !== undefined) {
    process.on("SIGINT", () => undefined);
    // The primary is gone (killed): nobody would restart or stop this worker, so it stops itself.
    process.on("disconnect", () => void shutdown("primary gone"));
  }
}
