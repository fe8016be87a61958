import http from "node:http";
import express from "express";
import type { CaptureSink } from "./capture-sink.js";
import type { DiskSpool } from "./disk-spool.js";
import { createProxyHandler, type ProxyHandlerDeps } from "./proxy-handler.js";
import { parseProxyRoute } from "./routing.js";

/** What the proxy server needs, beyond the handler's dependencies. */
export interface ProxyServerDeps extends ProxyHandlerDeps {
  sink: CaptureSink;
  spool: DiskSpool;
  redisReady: () => boolean;
}

/**
 * The proxy's HTTP server. A request whose first path segment is a service slug goes straight to the proxy
 * handler; express (≈145 µs of middleware per request) serves only our own routes: health and metrics.
 */
export function createProxyServer(deps: ProxyServerDeps): http.Server {
  const app = express();
  app.disable("x-powered-by");
  app.get("/healthz", (_req, res) => {
    const redis = deps.redisReady() ? "up" : "down";
    deps.metrics.redisUp.set(redis === "up" ? 1 : 0);
    // Stays 200 while Redis is down: calls still succeed and captures go to the spool.
    res.json({
      status: "ok",
      redis,
      spool_files: deps.spool.depthFiles,
      spool_bytes: deps.spool.depthBytes,
    });
  });
  app.get("/metrics", async (_req, res) => {
    deps.metrics.redisUp.set(deps.redisReady() ? 1 : 0);
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });
  app.use((_req, res) => {
    res.status(404).json({ code: "not_found", message: "use /{service-slug}/... to call an API service" });
  });

  const proxy = createProxyHandler(deps);
  const server = http.createServer((req, res) => {
    const route = parseProxyRoute(req.url ?? "/");
    if (route) proxy(req, res, route);
    else app(req, res);
  });
  server.keepAliveTimeout = 65_000;
  return server;
}
