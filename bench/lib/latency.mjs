// One call at a time over one keep-alive connection, timed in the bench process with performance.now():
// sub-millisecond times to the first body byte and to the end, with no queueing in front of the target.
import http from "node:http";
import { percentile } from "./format.mjs";

/** Times one request: { status, firstByteMs, endMs, bytes, requestId }. */
function timedRequest(agent, url, { method, headers, body }) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.request(url, { method, headers, agent }, (res) => {
      let firstByteMs = null;
      let bytes = 0;
      res.on("data", (chunk) => {
        if (firstByteMs === null) firstByteMs = performance.now() - t0;
        bytes += chunk.length;
      });
      res.on("end", () =>
        resolve({
          status: res.statusCode,
          firstByteMs,
          endMs: performance.now() - t0,
          bytes,
          requestId: res.headers["x-request-id"],
        }),
      );
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

/**
 * `n` sequential calls after `warmup` unmeasured ones; every answer must be 200. Returns the p50/p90/p99 of time
 * to first body byte and of the whole call, in ms.
 */
export async function sequentialLatency(url, { n, warmup = 50, method = "POST", headers = {}, body }) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const first = [];
  const total = [];
  try {
    for (let i = 0; i < warmup + n; i++) {
      const r = await timedRequest(agent, url, { method, headers, body });
      if (r.status !== 200) throw new Error(`${url} answered ${r.status} during the latency run`);
      if (i < warmup) continue;
      first.push(r.firstByteMs);
      total.push(r.endMs);
    }
  } finally {
    agent.destroy();
  }
  const stats = (xs) => ({ p50: percentile(xs, 50), p90: percentile(xs, 90), p99: percentile(xs, 99) });
  return { n, firstByte: stats(first), total: stats(total) };
}

/**
 * `connections` loops calling `url` back to back for `durationS`, counting body bytes as they arrive (so a
 * response still running at the end counts for what it delivered). Node's own HTTP parser reads the bodies; a
 * load tool that parses them in JavaScript would be the bottleneck at 5 MB an answer. Every status must be 200.
 */
export async function bulkDownload(url, { connections, durationS, method = "POST", headers = {}, body }) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  let bytes = 0;
  let responses = 0;
  let failures = 0;
  const started = performance.now();
  const until = started + durationS * 1000;
  const once = () =>
    new Promise((resolve) => {
      const req = http.request(url, { method, headers, agent }, (res) => {
        if (res.statusCode !== 200) failures += 1;
        res.on("data", (chunk) => {
          bytes += chunk.length;
          if (performance.now() > until) req.destroy();
        });
        res.on("end", () => {
          responses += 1;
          resolve();
        });
        res.on("error", () => resolve());
        res.on("close", () => resolve());
      });
      req.on("error", () => resolve());
      req.end(body);
    });
  const loop = async () => {
    while (performance.now() < until) await once();
  };
  await Promise.all(Array.from({ length: connections }, loop));
  agent.destroy();
  const seconds = (performance.now() - started) / 1000;
  if (failures > 0) throw new Error(`${url}: ${failures} answers were not 200`);
  return { bytes, responses, seconds, mibPerS: bytes / seconds / 1048576 };
}
