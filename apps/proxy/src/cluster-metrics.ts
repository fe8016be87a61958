import cluster, { type Worker } from "node:cluster";
import { randomUUID } from "node:crypto";
import { AggregatorRegistry, type Registry } from "prom-client";

// The messages between a worker answering /metrics and the primary that gathers every worker's registry.
const ASK = "tokenmeter:metrics:ask"; // worker → primary: a scrape arrived
const COLLECT = "tokenmeter:metrics:collect"; // primary → every worker: send your registry
const PART = "tokenmeter:metrics:part"; // worker → primary: my registry as JSON
const TEXT = "tokenmeter:metrics:text"; // primary → asking worker: everyone's, added up

interface Message {
  type?: unknown;
  id?: unknown;
  metrics?: unknown;
  text?: unknown;
}

/** Longest the primary waits for one worker's registry; a worker that does not answer is left out. */
const PART_TIMEOUT_MS = 2000;

/**
 * Worker side. Answers the primary's collection requests with this process's registry (after `refresh` brings
 * the scrape-time gauges up to date), and returns the function /metrics calls: every worker's figures added up
 * by the primary, so a scrape of the one port sees the whole proxy whichever worker answers it.
 */
export function clusterMetricsText(registry: Registry, refresh: () => void): () => Promise<string> {
  const waiting = new Map<string, (text: string) => void>();
  process.on("message", (raw: Message) => {
    if (raw?.type === COLLECT) {
      refresh();
      void registry.getMetricsAsJSON().then((metrics) => process.send?.({ type: PART, id: raw.id, metrics }));
    } else if (raw?.type === TEXT && typeof raw.id === "string") {
      waiting.get(raw.id)?.(String(raw.text));
      waiting.delete(raw.id);
    }
  });
  return () =>
    new Promise<string>((resolve, reject) => {
      const id = randomUUID();
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(new Error("the proxy's primary did not answer the metrics request"));
      }, PART_TIMEOUT_MS * 2).unref();
      waiting.set(id, (text) => {
        clearTimeout(timer);
        resolve(text);
      });
      process.send?.({ type: ASK, id });
    });
}

/**
 * Primary side: when a worker asks, collects every live worker's registry, adds them up with prom-client's
 * AggregatorRegistry (gauges by their own `aggregator`: sum, min or max), appends the primary's own registry
 * (workers alive, restarts) and answers the asking worker.
 */
export function serveClusterMetrics(primaryRegistry: Registry): (worker: Worker, raw: Message) => void {
  const parts = new Map<string, (metrics: object[] | undefined) => void>();
  const collectFrom = (worker: Worker) =>
    new Promise<object[] | undefined>((resolve) => {
      const id = randomUUID();
      const timer = setTimeout(() => {
        parts.delete(id);
        resolve(undefined);
      }, PART_TIMEOUT_MS).unref();
      parts.set(id, (metrics) => {
        clearTimeout(timer);
        resolve(metrics);
      });
      try {
        worker.send({ type: COLLECT, id });
      } catch {
        resolve(undefined);
      }
    });
  return (worker, raw) => {
    if (raw?.type === PART && typeof raw.id === "string") {
      parts.get(raw.id)?.(raw.metrics as object[]);
      parts.delete(raw.id);
      return;
    }
    if (raw?.type !== ASK) return;
    const live = Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w?.isConnected());
    void Promise.all(live.map(collectFrom))
      .then(async (all) => {
        const registries = all.filter((m): m is object[] => Array.isArray(m));
        const text = `${await AggregatorRegistry.aggregate(registries).metrics()}\n${await primaryRegistry.metrics()}`;
        if (worker.isConnected()) worker.send({ type: TEXT, id: raw.id, text });
      })
      .catch(() => undefined);
  };
}
