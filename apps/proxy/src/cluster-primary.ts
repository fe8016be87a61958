import cluster, { type Worker } from "node:cluster";
import { installShutdown } from "@tokenmeter/runtime";
import type { Logger } from "pino";
import { Counter, Gauge, Registry } from "prom-client";
import { serveClusterMetrics } from "./cluster-metrics.js";

/** The environment variable that tells a forked worker its index (0 … PROXY_WORKERS-1). */
const WORKER_INDEX_VAR = "PROXY_WORKER_INDEX";

/** Restart delay after a crash: doubling from `baseMs` to `maxMs`, back to `baseMs` after `resetAfterMs` up. */
export interface RestartBackoff {
  baseMs: number;
  maxMs: number;
  resetAfterMs: number;
}

const DEFAULT_BACKOFF: RestartBackoff = { baseMs: 500, maxMs: 30_000, resetAfterMs: 60_000 };

/**
 * Runs the proxy as `workers` processes sharing one port (node:cluster; the primary accepts and hands
 * connections round-robin). The primary serves nothing itself: it restarts a worker that dies (with backoff,
 * under the same index, so it claims its own journal slot and replays what it left), gathers the workers'
 * metrics for /metrics, and on SIGINT/SIGTERM sends SIGTERM to every worker and waits for them to drain.
 * Workers listen to SIGTERM only: a Ctrl-C reaches the whole process group, and the primary's forwarded
 * SIGTERM must be the first signal a worker sees, not the second.
 */
export function runProxyPrimary(
  workers: number,
  logger: Logger,
  backoff: RestartBackoff = DEFAULT_BACKOFF,
): void {
  const registry = new Registry();
  const alive = new Gauge({
    name: "tokenmeter_proxy_workers",
    help: "Proxy worker processes running (PROXY_WORKERS when all are up)",
    registers: [registry],
  });
  const restarts = new Counter({
    name: "tokenmeter_proxy_worker_restarts_total",
    help: "Proxy worker processes that died and were restarted (alert on a steady increase)",
    registers: [registry],
  });
  const onMessage = serveClusterMetrics(registry);
  const running = new Map<number, Worker>();
  const failures = new Map<number, number>();
  let stopping = false;
  let cleanExit = true;
  let allStopped: () => void = () => {};
  const stopped = new Promise<void>((resolve) => {
    allStopped = resolve;
  });

  const fork = (index: number) => {
    const startedAt = Date.now();
    const worker = cluster.fork({ [WORKER_INDEX_VAR]: String(index) });
    running.set(index, worker);
    alive.set(running.size);
    worker.on("message", (message) => onMessage(worker, message));
    worker.on("exit", (code, signal) => {
      if (running.get(index) === worker) running.delete(index);
      alive.set(running.size);
      if (stopping) {
        if (code !== 0) cleanExit = false;
        if (running.size === 0) allStopped();
        return;
      }
      const previous = Date.now() - startedAt >= backoff.resetAfterMs ? 0 : (failures.get(index) ?? 0);
      const delayMs = Math.min(backoff.maxMs, backoff.baseMs * 2 ** previous);
      failures.set(index, previous + 1);
      restarts.inc();
      logger.error(
        { worker: index, pid: worker.process.pid, code, signal, restartInMs: delayMs },
        "proxy worker died; restarting it",
      );
      setTimeout(() => {
        if (!stopping) fork(index);
      }, delayMs);
    });
  };

  const signalAll = (signal: NodeJS.Signals) => {
    for (const worker of running.values()) worker.process.kill(signal);
  };
  installShutdown({
    logger,
    message: "shutting down: draining every worker",
    host: {
      on: (signal, listener) => process.on(signal, listener),
      exit: (code) => {
        // A second signal: pass it on, so every worker stops waiting too.
        if (code !== 0 && running.size > 0) signalAll("SIGTERM");
        process.exit(code === 0 && !cleanExit ? 1 : code);
      },
    },
    closers: [
      {
        name: "proxy workers",
        timeoutMs: 60_000,
        close: () => {
          stopping = true;
          if (running.size === 0) return;
          signalAll("SIGTERM");
          return stopped;
        },
      },
    ],
  });

  logger.info({ workers }, "starting proxy workers");
  for (let index = 0; index < workers; index++) fork(index);
}

/** This process's worker index when it runs under the proxy's primary, else undefined. */
export function workerIndex(): number | undefined {
  if (!cluster.isWorker) return undefined;
  const index = Number.parseInt(process.env[WORKER_INDEX_VAR] ?? "", 10);
  return Number.isInteger(index) && index >= 0 ? index : undefined;
}
