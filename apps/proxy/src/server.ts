import http from "node:http";
import type { RedisPersistence } from "@tokenmeter/capture";
import express from "express";
import type { CaptureSink } from "./capture-sink.js";
import { updateScrapeGauges } from "./metrics.js";
import { createProxyHandler, type ProxyHandlerDeps } from "./proxy-handler.js";
import { parseProxyRoute } from "./routing.js";

/** What the proxy server needs, beyond the handler's dependencies. */
export interface ProxyServerDeps extends ProxyHandlerDeps {
  sink: CaptureSink;
  redisReady: () => boolean;
  redisPersistence: () => RedisPersistence;
  /** The /metrics body when it is not this process's registry alone (every worker's, added up). */
  metricsText?: () => Promise<string>;
}

/**
 * The proxy's HTTP server. A request whose first path segment is a service slug goes straight to the proxy
 * handler; express (≈145 µs of middleware per request) serves only our own routes: health and metrics.
 */
export function createProxyServer(deps: ProxyServerDeps): http.Server {
  const app = express();
  app.disable("x-powered-by");
  const journalGauges = () => {
    const j = deps.sink.stats();
    updateScrapeGauges(deps.metrics, j, deps.redisReady());
    return j;
  };
  app.get("/healthz", (_req, res) => {
    const j = journalGauges();
    // Stays 200 while Redis is down: calls still succeed and their captures wait in the journal.
    res.json({
      status: "ok",
      redis: deps.redisReady() ? "up" : "down",
      redis_persistence: deps.redisPersistence(),
      journal_segments: j.segments,
      journal_bytes: j.bytes,
      journal_unacked_captures: j.unackedCaptures,
      journal_oldest_unacked_seconds: Math.round(j.oldestUnackedSeconds * 10) / 10,
    });
  });
  app.get("/metrics", async (_req, res) => {
    journalGauges();
    const text = deps.metricsText ? await deps.metricsText() : await deps.metrics.registry.metrics();
    res.type(deps.metrics.registry.contentType).send(text);
  });
  app.use((_req, res) => {
    res.status(404).json({ code: "not_found", message: "use /{service-slug}/... to call an API service" });
  });

  const proxy = createProxyHandler(deps);
  const server = http.createServer((req, res) => {
    const route = parseProxyRoute(req.url ?? "/");
    if (route) proxy.handle(req, res, route);
    else app(req, res);
  });
  server.keepAliveTimeout = 65_000;
  server.once("close", () => proxy.stop());
  return server;
}
