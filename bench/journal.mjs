// Phase "journal": what the capture journal adds to each call, measured alone (CPU time of appending
// captures as the proxy does: JSON line + synchronous write, no fsync), so the figure survives a noisy machine
// better than req/s does.
import fs from "node:fs";
import path from "node:path";
import { makeCapture } from "./lib/captures.mjs";
import { root } from "./lib/context.mjs";
import { fmtInt, log, pct } from "./lib/format.mjs";
import { proxyUsPerCall } from "./proxy.mjs";

export const name = "journal";

export async function run(ctx) {
  log("  CPU per appended capture (JSON line + write, no fsync), measured alone in the bench process");
  const j = await measureJournalCost(ctx.tmpDir);
  log(
    `  ${fmtInt(j.n)} appends of ≈ ${fmtInt(j.bytesPerCapture)} B: ${j.cpuUs.toFixed(1)} µs CPU each (${j.systemUs.toFixed(1)} µs in the kernel), ${j.wallUs.toFixed(1)} µs wall`,
  );
  return j;
}

export function summary(j, _meta, results) {
  const perCall = proxyUsPerCall(results.proxy);
  return {
    lines: [
      `journal: ${j.cpuUs.toFixed(1)} µs CPU per capture appended (${fmtInt(j.bytesPerCapture)} B)` +
        `${perCall ? ` = ${pct(j.cpuUs / perCall)} of the proxy's ${Math.round(perCall)} µs per call in (c)` : ""}`,
    ],
    goals: [],
  };
}

/** Appends `n` bench-sized captures to a fresh journal; returns CPU and wall µs per append. */
async function measureJournalCost(tmpDir, n = 20_000) {
  const { Journal } = await import(path.join(root, "apps/proxy/dist/journal.js"));
  const dir = fs.mkdtempSync(path.join(tmpDir, "journal-cost-"));
  const journal = new Journal({
    dir,
    maxBytes: 4 * 1024 ** 3,
    segmentBytes: 8 * 1024 ** 2,
    segmentMs: 1000,
    fsyncMs: 0,
  });
  journal.open();
  const ids = { buyerId: 1, keyId: 1, serviceId: 1, slug: "bench" };
  const captures = Array.from({ length: 1000 }, (_, i) => makeCapture(i, ids).capture);
  // Warm-up, then the measured appends (sealing as flushes would).
  for (let i = 0; i < 2000; i++) journal.append(captures[i % captures.length]);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    journal.append(captures[i % captures.length]);
    if (i % 50 === 49) journal.sealIfDue();
  }
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const bytes = journal.bytes;
  journal.close();
  fs.rmSync(dir, { recursive: true, force: true });
  return {
    n,
    cpuUs: (cpu.user + cpu.system) / n,
    systemUs: cpu.system / n,
    wallUs: (wall * 1000) / n,
    bytesPerCapture: bytes / (n + 2000),
  };
}
