// Phase "big": 5 MB answers at 64 concurrent connections, directly, through the bare node:http pipe and through
// tokenmeter's proxy (metering on, no worker): MiB/s received by a Node client (node:http in the bench process),
// and the proxy's peak resident memory (VmHWM from /proc, the kernel's own high-water mark of the process, so no
// sample can miss the peak).
import { BIN, REQUEST_BODY } from "./lib/context.mjs";
import { fmtInt, fmtMiB, log, pct } from "./lib/format.mjs";
import { bulkDownload } from "./lib/latency.mjs";
import { cpuMeter, memoryOf } from "./lib/proc.mjs";
import { captureQueue, settledJobCounts, totalJobs } from "./lib/setup.mjs";

export const name = "big";

const mbps = (r) => r.mibPerS;

/** One target: warm-up, then the measured download with the CPU of `watch` sampled over it. */
async function measureBig(ctx, label, url, watch) {
  const { cfg } = ctx;
  const opts = { connections: cfg.connections, headers: ctx.headers, body: REQUEST_BODY };
  if (cfg.warmupS > 0) await bulkDownload(url, { ...opts, durationS: cfg.warmupS });
  const live = watch.filter((w) => w.pid);
  const stop = cpuMeter(live.map((w) => w.pid));
  const r = await bulkDownload(url, { ...opts, durationS: cfg.bigDurationS });
  r.cpu = Object.fromEntries(stop().map((v, i) => [live[i].name, v]));
  log(
    `  ${label.padEnd(34)} ${r.mibPerS.toFixed(0).padStart(6)} MiB/s  ${fmtInt(r.responses)} answers` +
      `   cpu% ${Object.entries(r.cpu)
        .map(([n, v]) => `${n} ${v === null ? "-" : Math.round(v)}`)
        .join(", ")}`,
  );
  return r;
}

export async function run(ctx) {
  const { cfg } = ctx;
  const bytes = cfg.bigBytes;
  const path = `/bench/big?bytes=${bytes}`;
  log(
    `  POST ${path}: ${fmtInt(bytes)} B JSON answers, ${cfg.connections} connections, ${cfg.warmupS} s warm-up + ${cfg.bigDurationS} s each`,
  );
  const upstreamW = { name: "upstream", pid: ctx.upstream.record.pid };
  const r = { bytes };

  r.a = await measureBig(ctx, "(a) upstream direct", `${ctx.upstream.url}${path}`, [upstreamW]);

  const bare = await ctx.startNode("bare-proxy", BIN.bare, [ctx.upstream.url, "0"], {});
  r.b = await measureBig(ctx, "(b) bare node:http proxy", `${bare.url}${path}`, [
    { name: "bare", pid: bare.record.pid },
    upstreamW,
  ]);
  r.bareHwm = memoryOf(bare.record.pid)?.hwm ?? null;
  await ctx.stopChild(bare.record);

  const prefix = ctx.prefix("big");
  const proxy = await ctx.startProxy(prefix);
  const queue = captureQueue(cfg.redisUrl, prefix);
  ctx.queues.push(queue);
  await ctx.sanityCheck("tokenmeter proxy (big)", `${proxy.url}/${ctx.slug}/bench`);
  const idleRss = memoryOf(proxy.record.pid)?.rss ?? null;
  r.c = await measureBig(ctx, "(c) tokenmeter proxy, metering on", `${proxy.url}/${ctx.slug}${path}`, [
    { name: "proxy", pid: proxy.record.pid },
    upstreamW,
    { name: "redis", pid: ctx.redisPid },
  ]);
  r.proxyHwm = memoryOf(proxy.record.pid)?.hwm ?? null;
  r.proxyIdleRss = idleRss;
  const counts = await settledJobCounts(queue.queue);
  r.batchJobs = totalJobs(counts);
  await ctx.stopChild(proxy.record);
  await ctx.dropQueue(queue, prefix);

  r.ratio = mbps(r.c) / mbps(r.b);
  log(
    `  tokenmeter ${pct(r.ratio)} of the bare pipe; peak RSS: tokenmeter ${r.proxyHwm ? fmtMiB(r.proxyHwm) : "?"} (idle ${idleRss ? fmtMiB(idleRss) : "?"}), ` +
      `bare ${r.bareHwm ? fmtMiB(r.bareHwm) : "?"}; captures in ${fmtInt(r.batchJobs)} batch jobs`,
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
