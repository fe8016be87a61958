#!/usr/bin/env node
// The ceiling for tokenmeter's own design: node:http in, http-proxy-middleware out over a keep-alive Agent —
// the same library and dispatch as apps/proxy, with no auth, tee, capture or queue.
// Usage: node bench/hpm-proxy.mjs UPSTREAM_URL [PORT]. Prints {"msg":"listening","port":N} when ready.
import http from "node:http";
import { createProxyMiddleware } from "http-proxy-middleware";

const upstream = process.argv[2] ?? "http://127.0.0.1:9090";
const port = Number(process.argv[3] ?? 0);
const agent = new http.Agent({ keepAlive: true, maxFreeSockets: 256, scheduling: "lifo" });
const proxy = createProxyMiddleware({ target: upstream, changeOrigin: true, agent, ejectPlugins: true });

const server = http.createServer((req, res) => {
  void proxy(req, res, () => {
    res.writeHead(502).end();
  });
});
server.keepAliveTimeout = 65_000;
server.listen(port, "127.0.0.1", () => {
  process.stdout.write(
    `${JSON.stringify({ msg: "listening", app: "hpm-proxy", port: server.address().port })}\n`,
  );
});
const stop = () => server.close(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
