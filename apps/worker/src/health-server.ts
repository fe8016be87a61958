import http from "node:http";
import type { Registry } from "prom-client";

/** Reports whether the worker's dependencies answer. */
export type HealthCheck = () => Promise<{ ok: boolean; detail: Record<string, string> }>;

/** A tiny HTTP server for `/healthz` and `/metrics` (the worker has no other HTTP surface). */
export function createHealthServer(registry: Registry, check: HealthCheck): http.Server {
  return http.createServer((req, res) => {
    const url = req.url ?? "/";
    if (req.method === "GET" && url === "/metrics") {
      registry.metrics().then(
        (text) => {
          res.writeHead(200, { "content-type": registry.contentType });
          res.end(text);
        },
        () => {
          res.writeHead(500).end();
        },
      );
      return;
    }
    if (req.method === "GET" && url === "/healthz") {
      check().then(
        ({ ok, detail }) => {
          res.writeHead(ok ? 200 : 503, { "content-type": "application/json" });
          res.end(JSON.stringify({ status: ok ? "ok" : "degraded", ...detail }));
        },
        () => {
          res.writeHead(503, { "content-type": "application/json" });
          res.end(JSON.stringify({ status: "degraded" }));
        },
      );
      return;
    }
    res.writeHead(404, { "content-type": "application/json" });
    res.end(JSON.stringify({ code: "not_found", message: "no such route" }));
  });
}
