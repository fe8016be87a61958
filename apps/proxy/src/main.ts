import { pino } from "pino";
import { parseProxyEnv } from "./env.js";
import { startProxyApp } from "./proxy-app.js";

const env = (() => {
  try {
    return parseProxyEnv();
  } catch (error) {
    // A bad configuration is a message for a person, not a stack trace.
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(1);
  }
})();
const logger = pino({ level: env.LOG_LEVEL, base: { app: "proxy" } });
const proxy = await startProxyApp(env, logger);
logger.info(
  { port: proxy.port, url: `http://127.0.0.1:${proxy.port}`, journal: proxy.slot.dir },
  "listening",
);

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, "shutting down: draining connections and captures");
  await proxy.close();
  logger.info("stopped");
  process.exit(0);
}
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));
