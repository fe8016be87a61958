import type { Queue } from "bullmq";
import type { Request, RequestHandler, Response } from "express";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import { QUEUE_STATES, type QueueCounts, readQueueCounts } from "./queue-stats.js";

/** The app's Prometheus registry and the middleware that records HTTP requests into it. */
export interface Metrics {
  registry: Registry;
  middleware: RequestHandler;
  /** Report queries that ran out of time, by route class and why (alert on any sustained rate). */
  queryTimeouts: Counter<"class" | "kind">;
}

// Labels use the matched route pattern, never the raw URL, so ids and junk paths cannot explode cardinality.
function routeLabel(req: Request, res: Response): string {
  if (req.route) {
    const base = typeof res.locals.routeBase === "string" ? res.locals.routeBase : "";
    return req.route.path === "/" && base ? base : `${base}${req.route.path}`;
  }
  return "unmatched";
}

/**
 * Remembers the mount path for the route label: Express restores `req.baseUrl` once a router is done,
 * which is before the response's `finish` event. Use it where a router is mounted under a path.
 */
export const rememberRouteBase: RequestHandler = (req, res, next) => {
  res.locals.routeBase = req.baseUrl;
  next();
};

/** Creates a per-app registry: default process metrics, HTTP metrics and queue gauges read at scrape time. */
export function createMetrics(queue: Queue | undefined): Metrics {
  // A registry per app instead of the global one, so several apps (tests) can live in one process.
  const registry = new Registry();
  registry.setDefaultLabels({ app: "control-plane" });
  collectDefaultMetrics({ register: registry });

  const labelNames = ["method", "route", "status"] as const;
  const requests = new Counter({
    name: "tokenmeter_http_requests_total",
    help: "HTTP requests handled by the control plane",
    labelNames,
    registers: [registry],
  });
  const duration = new Histogram({
    name: "tokenmeter_http_request_duration_seconds",
    help: "HTTP request duration in seconds",
    labelNames,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });

  // Both queue metrics are collected concurrently during one scrape; they share one Redis round trip.
  let inflight: Promise<QueueCounts | null> | undefined;
  const scrapeCounts = () => {
    inflight ??= readQueueCounts(queue).finally(() => {
      inflight = undefined;
    });
    return inflight;
  };
  new Gauge({
    name: "tokenmeter_queue_redis_up",
    help: "1 when the captures queue's Redis answered during this scrape",
    registers: [registry],
    async collect() {
      this.set((await scrapeCounts()) ? 1 : 0);
    },
  });
  new Gauge({
    name: "tokenmeter_queue_jobs",
    help: "Jobs in the captures queue by state, read at scrape time",
    labelNames: ["state"],
    registers: [registry],
    async collect() {
      const counts = await scrapeCounts();
      // With Redis down the series are dropped rather than reported as zero.
      this.reset();
      if (counts) for (const state of QUEUE_STATES) this.set({ state }, counts[state]);
    },
  });

  const middleware: RequestHandler = (req, res, next) => {
    const end = duration.startTimer();
    res.on("finish", () => {
      const labels = { method: req.method, route: routeLabel(req, res), status: String(res.statusCode) };
      end(labels);
      requests.inc(labels);
    });
    next();
  };
  const queryTimeouts = new Counter({
    name: "tokenmeter_control_plane_query_timeouts_total",
    help: "Report queries cancelled by statement_timeout or left without a connection, by route class",
    labelNames: ["class", "kind"] as const,
    registers: [registry],
  });
  return { registry, middleware, queryTimeouts };
}
