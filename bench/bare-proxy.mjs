#!/usr/bin/env node
// The floor for any Node reverse proxy: node:http in, node:http out over a keep-alive Agent, bodies piped both
// ways, status and headers copied. No auth, no capture, no queue. Usage: node bench/bare-proxy.mjs UPSTREAM_URL [PORT]
// Prints one JSON line {"msg":"listening","port":N} when ready.
import http from "node:http";

const upstream = new URL(process.argv[2] ?? "http://127.0.0.1:9090");
const port = Number(process.argv[3] ?? 0);
const agent = new http.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 256 });

// Hop-by-hop headers are not forwarded (RFC 9110 §7.6.1).
const HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
  "te",
  "trailer",
]);

const server = http.createServer((req, res) => {
  const headers = {};
  for (const [k, v] of Object.entries(req.headers)) if (!HOP.has(k)) headers[k] = v;
  headers.host = upstream.host;
  const proxyReq = http.request(
    { agent, host: upstream.hostname, port: upstream.port || 80, method: req.method, path: req.url, headers },
    (proxyRes) => {
      const out = {};
      for (const [k, v] of Object.entries(proxyRes.headers)) if (!HOP.has(k)) out[k] = v;
      res.writeHead(proxyRes.statusCode ?? 502, out);
      proxyRes.pipe(res);
    },
  );
  proxyReq.on("error", () => {
    if (!res.headersSent) res.writeHead(502, { "content-type": "application/json" });
    res.end('{"error":"upstream_unreachable"}');
  });
  res.on("close", () => {
    if (!res.writableFinished) proxyReq.destroy();
  });
  req.pipe(proxyReq);
});
server.keepAliveTimeout = 65_000;
server.listen(port, "127.0.0.1", () => {
  process.stdout.write(
    `${JSON.stringify({ msg: "listening", app: "bare-proxy", port: server.address().port })}\n`,
  );
});
const stop = () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
