import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

/** The proxy's Prometheus metrics. */
export function createProxyMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "tokenmeter_proxy_" });
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[] = []) =>
    new Counter<L>({ name, help, labelNames, registers: [registry] });
  // With PROXY_WORKERS > 1 the primary adds the workers' registries up (AggregatorRegistry): a gauge says how
  // its values combine; counters and histograms add up.
  const gauge = (name: string, help: string, aggregator: "sum" | "min" | "max" = "sum") =>
    new Gauge({ name, help, registers: [registry], aggregator });
  const requests = counter("tokenmeter_proxy_requests_total", "Requests by outcome class and status", [
    "outcome",
    "status",
  ] as const);
  // One child per (outcome, status) seen, kept: looking labels up by object costs a hash per call.
  const requestChildren = new Map<string, ReturnType<typeof requests.labels>>();
  const requestsBy = (outcome: string, status: number) => {
    const id = `${outcome} ${status}`;
    let child = requestChildren.get(id);
    if (!child) {
      child = requests.labels(outcome, String(status));
      requestChildren.set(id, child);
    }
    return child;
  };
  return {
    registry,
    requests,
    requestsBy,
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
    capturesReplayed: counter(
      "tokenmeter_proxy_journal_replayed_total",
      "Captures re-sent from the journal (unsent while Redis was down, lost by Redis, or left by an earlier process)",
    ),
    capturesDropped: counter(
      "tokenmeter_proxy_captures_dropped_total",
      "Captures lost, by reason (alert on any)",
      ["reason"] as const,
    ),
    journalSkipped: counter(
      "tokenmeter_proxy_journal_skipped_total",
      "Captures the journal could not take (full or write error); sent from memory only",
      ["reason"] as const,
    ),
    journalAcked: counter(
      "tokenmeter_proxy_journal_acked_total",
      "Journaled captures whose batch the worker recorded",
    ),
    journalFailed: counter(
      "tokenmeter_proxy_journal_failed_total",
      "Journaled captures whose batch failed for good (kept in the queue's failed set)",
    ),
    journalTorn: counter(
      "tokenmeter_proxy_journal_torn_records_total",
      "Journal lines skipped on replay: torn (a process died mid-write) or corrupt",
      ["kind"] as const,
    ),
    journalSegments: gauge("tokenmeter_proxy_journal_segments", "Journal segment files on disk"),
    journalBytes: gauge("tokenmeter_proxy_journal_bytes", "Bytes in the journal"),
    journalUnacked: gauge(
      "tokenmeter_proxy_journal_unacked_captures",
      "Captures in the journal not yet recorded by the worker (segments left by an earlier process count 1)",
    ),
    journalOldestUnacked: gauge(
      "tokenmeter_proxy_journal_oldest_unacked_seconds",
      "Age of the oldest journal segment still holding unrecorded captures",
      "max",
    ),
    journalForeignFiles: gauge(
      "tokenmeter_proxy_journal_foreign_files",
      "Files in the journal directory that are not segments (logged at start; inspect them)",
    ),
    redisPersistent: gauge(
      "tokenmeter_proxy_redis_persistent",
      "1 when the queue's Redis runs with appendonly yes, 0 when it does not or cannot tell",
      "min",
    ),
    enqueueSeconds: new Histogram({
      name: "tokenmeter_proxy_enqueue_seconds",
      help: "Duration of one batched enqueue",
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    }),
    redisUp: gauge("tokenmeter_proxy_redis_up", "1 when the queue's Redis connection is ready", "min"),
  };
}

export type ProxyMetrics = ReturnType<typeof createProxyMetrics>;

/** The journal's figures a scrape reports, as `CaptureSink.stats()` gives them. */
export interface JournalFigures {
  segments: number;
  bytes: number;
  unackedCaptures: number;
  oldestUnackedSeconds: number;
}

/** Brings the gauges read at scrape time up to date. */
export function updateScrapeGauges(
  metrics: ProxyMetrics,
  journal: JournalFigures,
  redisReady: boolean,
): void {
  metrics.redisUp.set(redisReady ? 1 : 0);
  metrics.journalSegments.set(journal.segments);
  metrics.journalBytes.set(journal.bytes);
  metrics.journalUnacked.set(journal.unackedCaptures);
  metrics.journalOldestUnacked.set(journal.oldestUnackedSeconds);
}
