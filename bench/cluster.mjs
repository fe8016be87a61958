// Phase "cluster": the metered proxy (no worker, as run (c)) as one process and as PROXY_WORKERS processes on one
// port, same load. Skipped when the built proxy does not know PROXY_WORKERS.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { BIN } from "./lib/context.mjs";
import { fmtInt, log, pct } from "./lib/format.mjs";
import { childPids } from "./lib/proc.mjs";
import { captureQueue } from "./lib/setup.mjs";

export const name = "cluster";

/** Whether the built proxy reads PROXY_WORKERS (any of its compiled modules names it). */
function supported() {
  const dist = path.dirname(BIN.proxy);
  return fs
    .readdirSync(dist, { recursive: true })
    .some(
      (f) =>
        String(f).endsWith(".js") &&
        fs.readFileSync(path.join(dist, String(f)), "utf8").includes("PROXY_WORKERS"),
    );
}

export async function run(ctx) {
  if (!supported()) {
    log("  PROXY_WORKERS not supported by this build: skipped");
    return { skipped: "PROXY_WORKERS not supported by this build" };
  }
  const n = ctx.cfg.clusterWorkers || os.cpus().length;
  const runs = [];
  for (const workers of [1, n]) {
    const prefix = ctx.prefix(`cluster${workers}`);
    const proxy = await ctx.startProxy(prefix, { PROXY_WORKERS: String(workers) });
    const queue = captureQueue(ctx.cfg.redisUrl, prefix);
    ctx.queues.push(queue);
    const target = `${proxy.url}/${ctx.slug}/bench`;
    await ctx.sanityCheck(`tokenmeter proxy, PROXY_WORKERS=${workers}`, target);
    // Every process must be up before the load starts (and be metered for CPU).
    const until = performance.now() + 30_000;
    while (workers > 1 && childPids(proxy.record.pid).length < workers && performance.now() < until)
      await new Promise((r) => setTimeout(r, 100));
    const pids = [proxy.record.pid, ...childPids(proxy.record.pid)];
    const watch = pids.map((pid, i) => ({ name: i === 0 ? "proxy" : `proxy${i}`, pid }));
    watch.push({ name: "upstream", pid: ctx.upstream.record.pid }, { name: "redis", pid: ctx.redisPid });
    const r = await ctx.measure(`(c) PROXY_WORKERS=${workers} (${pids.length} processes)`, target, watch);
    const proxyCpu = Object.entries(r.watch)
      .filter(([k]) => k.startsWith("proxy"))
      .reduce((a, [, v]) => a + (v ?? 0), 0);
    runs.push({
      workers,
      processes: pids.length,
      rps: r.rps,
      p50Ms: r.p50Ms,
      proxyCpu,
      otherCpu: r.otherCpu,
    });
    await ctx.stopChild(proxy.record);
    await ctx.dropQueue(queue, prefix);
  }
  return { runs };
}

export function summary(r) {
  if (r.skipped) {
    return {
      lines: [`proxy 1 vs N processes: ${r.skipped}`],
      goals: [{ figure: "proxy 1 vs N processes (req/s)", value: "skipped", goal: "(reported)", ok: null }],
    };
  }
  const [one, many] = r.runs;
  return {
    lines: [
      `proxy processes: ${r.runs.map((x) => `PROXY_WORKERS=${x.workers} ${fmtInt(x.rps)} req/s (proxy cpu ${Math.round(x.proxyCpu)} %)`).join(", ")}`,
    ],
    goals: [
      {
        figure: `proxy 1 vs ${many.workers} processes (req/s)`,
        value: `${fmtInt(one.rps)} → ${fmtInt(many.rps)} (${pct(many.rps / one.rps)})`,
        goal: "(reported)",
        ok: null,
      },
    ],
  };
}
