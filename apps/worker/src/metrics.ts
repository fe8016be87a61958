import { Counter, collectDefaultMetrics, Histogram, Registry } from "prom-client";

/** Most distinct `model` label values of the unpriced counter; later models are counted as "other". */
const UNPRICED_MODEL_LABELS = 50;

/**
 * A label value per model for the first `limit` models seen, then "other". First come rather than a moving
 * top N: a counter's series must never move from one label to another, or rates would jump. The complete
 * list, with counts, is `GET /admin/unpriced-models`.
 */
export function boundedModelLabel(limit: number): (model: string | null) => string {
  const named = new Set<string>();
  return (model) => {
    const name = (model ?? "").slice(0, 64);
    if (named.has(name)) return name;
    if (named.size < limit && name !== "other") {
      named.add(name);
      return name;
    }
    return "other";
  };
}

/** The worker's Prometheus metrics. */
export function createWorkerMetrics(options: { unpricedModelLabels?: number } = {}) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "tokenmeter_worker_" });
  return {
    registry,
    captures: new Counter({
      name: "tokenmeter_worker_captures_total",
      help: "Captures processed, by result (recorded, duplicate, invalid, failed)",
      labelNames: ["result"] as const,
      registers: [registry],
    }),
    batchesRejected: new Counter({
      name: "tokenmeter_worker_batches_rejected_total",
      help: "Capture batch jobs refused because their signature is missing or wrong (alert on any)",
      labelNames: ["reason"] as const,
      registers: [registry],
    }),
    usage: new Counter({
      name: "tokenmeter_worker_usage_total",
      help: "Metered calls by how usage was obtained and the parser that found it",
      labelNames: ["source", "parser"] as const,
      registers: [registry],
    }),
    jobsVanished: new Counter({
      name: "tokenmeter_worker_jobs_vanished_total",
      help: "Jobs Redis no longer held when the worker finished them (Redis restarted); benign, re-sent by the proxy",
      registers: [registry],
    }),
    parseFailures: new Counter({
      name: "tokenmeter_worker_parse_failures_total",
      help: "Calls whose usage could not be parsed (a usage row is still written)",
      registers: [registry],
    }),
    unpriced: new Counter({
      name: "tokenmeter_worker_unpriced_calls_total",
      help: 'Calls with tokens but no price for their model (token_cost NULL); model is "other" past the label cap',
      labelNames: ["model"] as const,
      registers: [registry],
    }),
    unpricedModelLabel: boundedModelLabel(options.unpricedModelLabels ?? UNPRICED_MODEL_LABELS),
    configChanges: new Counter({
      name: "tokenmeter_worker_config_changes_total",
      help: "Announced configuration changes received (prices, rules, services; all = listener (re)connected)",
      labelNames: ["topic"] as const,
      registers: [registry],
    }),
    missRereads: new Counter({
      name: "tokenmeter_worker_miss_rereads_total",
      help: "Re-reads of a table for a model without a price (prices) or an unknown service (services)",
      labelNames: ["table"] as const,
      registers: [registry],
    }),
    configCaughtUp: new Counter({
      name: "tokenmeter_worker_config_caught_up_total",
      help: "Configuration changes found by their counter before a batch, ahead of (or without) their announcement",
      labelNames: ["topic"] as const,
      registers: [registry],
    }),
    tokens: new Counter({
      name: "tokenmeter_worker_tokens_total",
      help: "Tokens metered, by kind",
      labelNames: ["kind"] as const,
      registers: [registry],
    }),
    batchSize: new Histogram({
      name: "tokenmeter_worker_batch_rows",
      help: "Rows per database write",
      buckets: [1, 5, 10, 25, 50, 100, 250, 500, 1000],
      registers: [registry],
    }),
    batchSeconds: new Histogram({
      name: "tokenmeter_worker_batch_seconds",
      help: "Duration of one batched write (rows + rollups)",
      labelNames: ["outcome"] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    lagSeconds: new Histogram({
      name: "tokenmeter_worker_metering_lag_seconds",
      help: "From the proxy receiving a request to its usage row being committed",
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers: [registry],
    }),
  };
}

export type WorkerMetrics = ReturnType<typeof createWorkerMetrics>;
