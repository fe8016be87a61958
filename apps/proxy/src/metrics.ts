import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

/** The proxy's Prometheus metrics. */
export function createProxyMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "tokenmeter_proxy_" });
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[] = []) =>
    new Counter<L>({ name, help, labelNames, registers: [registry] });
  const gauge = (name: string, help: string) => new Gauge({ name, help, registers: [registry] });
  return {
    registry,
    requests: counter("tokenmeter_proxy_requests_total", "Requests by outcome class and status", [
      "outcome",
      "status",
    ] as const),
    rejected: counter("tokenmeter_proxy_rejected_total", "Requests refused before proxying, by reason", [
      "reason",
    ] as const),
    upstreamErrors: counter("tokenmeter_proxy_upstream_errors_total", "Upstream failures by kind", [
      "kind",
    ] as const),
    internalErrors: counter(
      "tokenmeter_proxy_internal_errors_total",
      "Exchanges ended by an unexpected exception (each still becomes a row); alert on any",
    ),
    duration: new Histogram({
      name: "tokenmeter_proxy_request_duration_seconds",
      help: "Whole proxied exchange, request received to response finished",
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers: [registry],
    }),
    capturesBuffered: gauge(
      "tokenmeter_proxy_captures_buffered",
      "Captures waiting in memory for the next batch",
    ),
    capturesEnqueued: counter("tokenmeter_proxy_captures_enqueued_total", "Captures sent to the queue"),
    capturesSpooled: counter("tokenmeter_proxy_captures_spooled_total", "Captures written to the disk spool"),
    capturesReplayed: counter(
      "tokenmeter_proxy_captures_replayed_total",
      "Spooled captures sent to the queue",
    ),
    capturesDropped: counter(
      "tokenmeter_proxy_captures_dropped_total",
      "Captures lost, by reason (alert on any)",
      ["reason"] as const,
    ),
    spoolBytes: gauge("tokenmeter_proxy_spool_bytes", "Bytes in the disk spool"),
    spoolFiles: gauge("tokenmeter_proxy_spool_files", "Files in the disk spool"),
    enqueueSeconds: new Histogram({
      name: "tokenmeter_proxy_enqueue_seconds",
      help: "Duration of one batched enqueue",
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    }),
    redisUp: gauge("tokenmeter_proxy_redis_up", "1 when the queue's Redis connection is ready"),
  };
}

export type ProxyMetrics = ReturnType<typeof createProxyMetrics>;
