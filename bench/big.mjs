// Phase "big": 5 MB answers at 64 concurrent connections, directly, through the bare node:http pipe and through
// tokenmeter's proxy (metering on, no worker): bytes per second, and the proxy's peak resident memory (VmHWM
// from /proc, the kernel's own high-water mark of the process, so no sample can miss the peak).
import { BIN } from "./lib/context.mjs";
import { fmtInt, fmtMiB, log, pct } from "./lib/format.mjs";
import { memoryOf } from "./lib/proc.mjs";
import { captureQueue, settledJobCounts, totalJobs } from "./lib/setup.mjs";

export const name = "big";

const mbps = (r) => (r.bytes ?? 0) / r.seconds / 1048576;

export async function run(ctx) {
  const { cfg } = ctx;
  const bytes = cfg.bigBytes;
  const path = `/bench/big?bytes=${bytes}`;
  const durationS = cfg.bigDurationS;
  log(
    `  POST ${path}: ${fmtInt(bytes)} B JSON answers, ${cfg.connections} connections, ${cfg.warmupS} s warm-up + ${durationS} s each`,
  );
  const upstreamW = { name: "upstream", pid: ctx.upstream.record.pid };
  const opts = { durationS };
  const r = { bytes };

  r.a = await ctx.measure("(a) upstream direct, 5 MB", `${ctx.upstream.url}${path}`, [upstreamW], opts);

  const bare = await ctx.startNode("bare-proxy", BIN.bare, [ctx.upstream.url, "0"], {});
  r.b = await ctx.measure(
    "(b) bare node:http proxy, 5 MB",
    `${bare.url}${path}`,
    [{ name: "bare", pid: bare.record.pid }, upstreamW],
    opts,
  );
  r.bareHwm = memoryOf(bare.record.pid)?.hwm ?? null;
  await ctx.stopChild(bare.record);

  const prefix = ctx.prefix("big");
  const proxy = await ctx.startProxy(prefix);
  const queue = captureQueue(cfg.redisUrl, prefix);
  ctx.queues.push(queue);
  const idleRss = memoryOf(proxy.record.pid)?.rss ?? null;
  r.c = await ctx.measure(
    "(c) tokenmeter proxy, 5 MB",
    `${proxy.url}/${ctx.slug}${path}`,
    [{ name: "proxy", pid: proxy.record.pid }, upstreamW, { name: "redis", pid: ctx.redisPid }],
    opts,
  );
  const mem = memoryOf(proxy.record.pid);
  r.proxyHwm = mem?.hwm ?? null;
  r.proxyIdleRss = idleRss;
  const completed = r.c.warmupRequests + r.c.requests;
  const counts = await settledJobCounts(queue.queue);
  r.batchJobs = totalJobs(counts);
  await ctx.stopChild(proxy.record);
  await ctx.dropQueue(queue, prefix);

  r.ratio = mbps(r.c) / mbps(r.b);
  log(
    `  throughput MiB/s: direct ${mbps(r.a).toFixed(0)}, bare ${mbps(r.b).toFixed(0)}, tokenmeter ${mbps(r.c).toFixed(0)} ` +
      `(${pct(r.ratio)} of bare); peak RSS: tokenmeter ${r.proxyHwm ? fmtMiB(r.proxyHwm) : "?"} (idle ${idleRss ? fmtMiB(idleRss) : "?"}), ` +
      `bare ${r.bareHwm ? fmtMiB(r.bareHwm) : "?"}; ${fmtInt(completed)} calls metered in ${fmtInt(r.batchJobs)} batch jobs`,
  );
  return r;
}

export function summary(r) {
  const lines = [
    `5 MB answers, MiB/s: direct ${mbps(r.a).toFixed(0)}, bare ${mbps(r.b).toFixed(0)}, tokenmeter ${mbps(r.c).toFixed(0)}` +
      ` (c/b ${pct(r.ratio)}); peak RSS tokenmeter ${r.proxyHwm ? fmtMiB(r.proxyHwm) : "?"}, bare ${r.bareHwm ? fmtMiB(r.bareHwm) : "?"}`,
  ];
  return {
    lines,
    goals: [
      {
        figure: "5 MB answers × 64: throughput vs bare pipe",
        value: pct(r.ratio),
        goal: "(reported)",
        ok: null,
      },
      {
        figure: "5 MB answers × 64: proxy peak RSS (VmHWM)",
        value: r.proxyHwm ? fmtMiB(r.proxyHwm) : "-",
        goal: "< 200 MiB",
        ok: r.proxyHwm ? r.proxyHwm < 200 * 1048576 : null,
      },
    ],
  };
}
