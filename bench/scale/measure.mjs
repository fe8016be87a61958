// Latency of one GET route: a fixed number of requests (or a time budget) over N keep-alive connections,
// each timed from the client's side; percentiles from the sorted samples (nearest rank).
import http from "node:http";

/** One GET with a timeout: { ms, status } (status 0 for a socket error or a timeout). */
function timedGet(agent, url, headers, timeoutMs) {
  return new Promise((resolve) => {
    const started = performance.now();
    const done = (status) => resolve({ ms: performance.now() - started, status });
    const req = http.get(url, { agent, headers, timeout: timeoutMs }, (res) => {
      res.on("data", () => undefined);
      res.on("end", () => done(res.statusCode ?? 0));
      res.on("error", () => done(0));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", () => done(0));
  });
}

/** The p-th percentile (0–100) of sorted samples, nearest rank. */
function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/**
 * Measures a route: `warmup` requests first (one connection, not counted), then `requests` requests over
 * `connections` connections, stopping early once `budgetS` seconds have passed (requests in flight finish).
 * Returns { n, p50, p99, max, non2xx, status5xx, errors, seconds }.
 */
export async function measureRoute(url, headers, { connections, requests, warmup, budgetS, timeoutMs }) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  try {
    const warmDeadline = performance.now() + budgetS * 1000;
    for (let i = 0; i < warmup && performance.now() < warmDeadline; i++)
      await timedGet(agent, url, headers, timeoutMs);
    const samples = [];
    let non2xx = 0;
    let status5xx = 0;
    let errors = 0;
    let issued = 0;
    const started = performance.now();
    const deadline = started + budgetS * 1000;
    const loop = async () => {
      while (issued < requests && performance.now() < deadline) {
        issued++;
        const { ms, status } = await timedGet(agent, url, headers, timeoutMs);
        samples.push(ms);
        if (status === 0) errors++;
        else if (status < 200 || status > 299) non2xx++;
        if (status >= 500) status5xx++;
      }
    };
    await Promise.all(Array.from({ length: connections }, loop));
    samples.sort((a, b) => a - b);
    return {
      n: samples.length,
      p50: percentile(samples, 50),
      p99: percentile(samples, 99),
      max: samples.at(-1) ?? null,
      non2xx,
      status5xx,
      errors,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    agent.destroy();
  }
}

/** GET and parse a JSON answer (sanity checks), throwing with the body on a non-2xx. */
export async function getJson(url, headers) {
  const res = await fetch(url, { headers });
  const text = await res.text();
  if (!res.ok) throw new Error(`GET ${url} answered ${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text);
}
