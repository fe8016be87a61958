// Phase "proxy": the same 1 KB JSON call through (a) the upstream directly, (b) a bare node:http pipe,
// (b') http-proxy-middleware alone, (c) tokenmeter's proxy with metering on and no worker (the headline), and
// (c') the same with the worker consuming. Also the added p50 at one connection, (a) vs (c).
import fs from "node:fs";
import path from "node:path";
import { BIN, REQUEST_BODY } from "./lib/context.mjs";
import { fmtCpu, fmtInt, fmtMs, log, lpad, pad, pct, percentile } from "./lib/format.mjs";
import { sequentialLatency } from "./lib/latency.mjs";
import { captureQueue, countCaptures, settledJobCounts, totalJobs } from "./lib/setup.mjs";

export const name = "proxy";

export async function run(ctx) {
  const { cfg } = ctx;
  log(
    `  POST /bench (1 KB JSON answer), ${cfg.connections} connections, ${cfg.warmupS} s warm-up + ${cfg.durationS} s each`,
  );
  const upstream = ctx.upstream;
  const upstreamW = { name: "upstream", pid: upstream.record.pid };
  const redisW = { name: "redis", pid: ctx.redisPid };
  const r = {};

  // (a) direct
  const direct = await ctx.sanityCheck("upstream", `${upstream.url}/bench`);
  r.a = await ctx.measure("(a) upstream direct", `${upstream.url}/bench`, [upstreamW]);
  r.a.responseBytes = direct.bytes;

  // (b) bare node:http proxy
  const bare = await ctx.startNode("bare-proxy", BIN.bare, [upstream.url, "0"], {});
  await ctx.sanityCheck("bare proxy", `${bare.url}/bench`);
  r.b = await ctx.measure("(b) bare node:http proxy", `${bare.url}/bench`, [
    { name: "bare", pid: bare.record.pid },
    upstreamW,
  ]);
  await ctx.stopChild(bare.record);

  // (b') node:http + http-proxy-middleware, nothing else: the ceiling of the library apps/proxy uses.
  const hpm = await ctx.startNode("hpm-proxy", BIN.hpm, [upstream.url, "0"], {});
  await ctx.sanityCheck("hpm proxy", `${hpm.url}/bench`);
  r.bh = await ctx.measure("(b') http-proxy-middleware only", `${hpm.url}/bench`, [
    { name: "hpm", pid: hpm.record.pid },
    upstreamW,
  ]);
  await ctx.stopChild(hpm.record);

  // (c) tokenmeter proxy, metering on, no worker: captures pile up in the queue.
  const prefixC = ctx.prefix("proxy");
  const journalC = path.join(ctx.tmpDir, "journal-proxy");
  const proxyC = await ctx.startProxy(prefixC, { JOURNAL_DIR: journalC }, { cpuProfDir: cfg.cpuProfDir });
  const cQueue = captureQueue(cfg.redisUrl, prefixC);
  ctx.queues.push(cQueue);
  const target = `${proxyC.url}/${ctx.slug}/bench`;
  await ctx.sanityCheck("tokenmeter proxy", target);
  r.c = await ctx.measure("(c) tokenmeter proxy, metering on", target, [
    { name: "proxy", pid: proxyC.record.pid },
    upstreamW,
    redisW,
  ]);
  {
    const completed = 1 + r.c.warmupRequests + r.c.requests;
    const counts = await settledJobCounts(cQueue.queue);
    const batchJobs = totalJobs(counts);
    const jobs = await countCaptures(cQueue.queue);
    // The journal keeps every capture until a worker records it; none runs here, so it holds them all.
    const segments = fs.existsSync(journalC)
      ? fs.readdirSync(journalC, { recursive: true }).filter((f) => String(f).endsWith(".jsonl")).length
      : 0;
    // wrk closes its connections at the end of each run: in-flight calls become client_aborted captures too.
    const ok = jobs >= completed * 0.99 && jobs <= completed + 2 * cfg.connections + 10;
    r.c.queue = { jobs, completed, counts, segments, ok };
    log(
      `  queue ${prefixC}: ${fmtInt(jobs)} captures in ${fmtInt(batchJobs)} batch jobs for ${fmtInt(completed)} completed requests (sanity + warm-up + run)` +
        ` = ${(jobs / completed).toFixed(4)} per request ${ok ? "✓" : "✗ MISMATCH"}; waiting ${fmtInt(counts.waiting ?? 0)}` +
        `; ${segments} journal segments`,
    );
  }

  // Added latency at one connection: no queueing, only what one call costs on its way through.
  r.one = await oneConnection(ctx, `${upstream.url}/bench`, target);
  await ctx.stopChild(proxyC.record);
  await ctx.dropQueue(cQueue, prefixC);

  // (c') the same with the worker consuming the queue, as in production (it competes for the 2 cores).
  if (cfg.withWorkerRun) r.cw = await withWorker(ctx, upstreamW, redisW);
  else log("  (c') skipped (BENCH_WITH_WORKER=0)");
  return r;
}

async function oneConnection(ctx, directUrl, proxyUrl) {
  // Alternating rounds, so a burst of other load on the machine hits both targets alike.
  const rounds = 4;
  const n = Math.max(50, Math.round(ctx.cfg.sseSamples / rounds));
  const a = { total: [] };
  const c = { total: [] };
  const opts = { n, headers: ctx.headers, body: REQUEST_BODY, warmup: 20 };
  for (let i = 0; i < rounds; i++) {
    a.total.push((await sequentialLatency(directUrl, opts)).total.p50);
    c.total.push((await sequentialLatency(proxyUrl, opts)).total.p50);
  }
  const p50 = (xs) => percentile(xs, 50);
  const one = { a: { p50Ms: p50(a.total) }, c: { p50Ms: p50(c.total) }, n: n * rounds };
  one.addedP50Ms = one.c.p50Ms - one.a.p50Ms;
  log(
    `  one connection, ${one.n} sequential calls each: direct p50 ${fmtMs(one.a.p50Ms)}, through tokenmeter ${fmtMs(one.c.p50Ms)}` +
      ` → added +${one.addedP50Ms.toFixed(2)} ms (median of ${rounds} alternating rounds)`,
  );
  return one;
}

async function withWorker(ctx, upstreamW, redisW) {
  const prefixL = ctx.prefix("live");
  const proxyL = await ctx.startProxy(prefixL);
  const workerL = await ctx.startWorker(prefixL);
  const lQueue = captureQueue(ctx.cfg.redisUrl, prefixL);
  ctx.queues.push(lQueue);
  const target = `${proxyL.url}/${ctx.slug}/bench`;
  await ctx.sanityCheck("tokenmeter proxy (live)", target);
  const cw = await ctx.measure("(c') tokenmeter proxy + worker", target, [
    { name: "proxy", pid: proxyL.record.pid },
    upstreamW,
    { name: "worker", pid: workerL.record.pid },
    redisW,
  ]);
  const completed = 1 + cw.warmupRequests + cw.requests;
  const rowsAtEnd = await ctx.rowCount(ctx.ids.serviceId);
  const backlog = await lQueue.queue.getJobCounts("waiting", "active", "prioritized", "delayed");
  const tDrain = performance.now();
  let rows = rowsAtEnd;
  while (rows < completed && performance.now() - tDrain < 30_000) {
    await new Promise((r) => setTimeout(r, 250));
    rows = await ctx.rowCount(ctx.ids.serviceId);
  }
  cw.live = { completed, rowsAtEnd, backlogAtEnd: totalJobs(backlog), rows };
  log(
    `  when the load stopped: ${fmtInt(rowsAtEnd)} rows in usage_logs for ${fmtInt(completed)} completed calls ` +
      `(plus in-flight calls cut by the load tool, metered as client_aborted), backlog ${fmtInt(totalJobs(backlog))} jobs; ` +
      `${rows >= completed ? `${fmtInt(rows)} rows ${((performance.now() - tDrain) / 1000).toFixed(1)} s later` : `only ${fmtInt(rows)} rows after 30 s`}`,
  );
  await ctx.stopChild(workerL.record);
  await ctx.stopChild(proxyL.record);
  await ctx.dropQueue(lQueue, prefixL);
  return cw;
}

/** CPU µs one process spent per request of a run, or null. */
const cost = (x, who) => (x?.watch?.[who] ? (x.watch[who] * 1e4) / x.rps : null);

/** CPU µs the metered proxy spends per call in run (c) (used by the journal phase too). */
export const proxyUsPerCall = (r) => cost(r?.c, "proxy");

export function summary(r, meta) {
  const rows = [
    ["(a) upstream direct", r.a],
    ["(b) bare node:http proxy", r.b],
    ["(b') http-proxy-middleware only", r.bh],
    ["(c) tokenmeter, metering on", r.c],
    ["(c') tokenmeter + worker", r.cw],
  ].filter(([, x]) => x);
  const lines = [
    `${meta.toolVersion}, ${meta.cfg.connections} conns, ${meta.cfg.warmupS}+${meta.cfg.durationS} s per target, POST /bench → ${r.a.responseBytes} B JSON`,
  ];
  for (const [label, x] of rows) {
    lines.push(
      `${pad(label, 32)} ${lpad(fmtInt(x.rps), 7)} req/s  p50 ${lpad(fmtMs(x.p50Ms), 9)}  p99 ${lpad(fmtMs(x.p99Ms), 9)}` +
        `  ${lpad(pct(x.rps / r.a.rps), 7)} of (a)  ${lpad(pct(x.rps / r.b.rps), 7)} of (b)`,
    );
  }
  lines.push(
    `c/a = ${pct(r.c.rps / r.a.rps)}   b/a = ${pct(r.b.rps / r.a.rps)}   added p50 at ${meta.cfg.connections} conns = +${(r.c.p50Ms - r.a.p50Ms).toFixed(2)} ms (bare: +${(r.b.p50Ms - r.a.p50Ms).toFixed(2)} ms)`,
  );
  if (r.bh)
    lines.push(
      `b'/b = ${pct(r.bh.rps / r.b.rps)} (the library's own ceiling)   c/b' = ${pct(r.c.rps / r.bh.rps)} (what metering costs on top)`,
    );
  lines.push(
    `headline (c) = proxy alone, worker NOT running, captures enqueued to Redis: ` +
      `${fmtInt(r.c.queue.jobs)} captures / ${fmtInt(r.c.queue.completed)} requests ${r.c.queue.ok ? "✓" : "✗"}`,
  );
  if (r.cw?.live) {
    lines.push(
      `(c') worker running: ${pct(r.cw.rps / r.c.rps)} of (c); rows at end of load ${fmtInt(r.cw.live.rowsAtEnd)}/${fmtInt(r.cw.live.completed)}` +
        ` (backlog ${fmtInt(r.cw.live.backlogAtEnd)})`,
    );
  }
  const cpu = (x) =>
    [["load", x.loadCpu], ...Object.entries(x.watch), ["other", x.otherCpu]]
      .map(([n, v]) => `${n} ${fmtCpu(v).trim()}`)
      .join(" ");
  lines.push(
    `cpu% (100 = one core): ${rows.map(([label, x]) => `${label.split(" ")[0]} ${cpu(x)}`).join(" | ")}`,
  );
  // CPU time per request of each process: much less sensitive to other load on the machine than req/s.
  const us = (x) =>
    Object.entries(x.watch)
      .map(([n, v]) => `${n} ${v === null ? "-" : Math.round((v * 1e4) / x.rps)}`)
      .join(" ");
  lines.push(
    `cpu µs per request: ${rows.map(([label, x]) => `${label.split(" ")[0]} ${us(x)}`).join(" | ")}`,
  );
  const bareUs = cost(r.b, "bare");
  const proxyUs = cost(r.c, "proxy");
  const redisUs = cost(r.c, "redis") ?? 0;
  if (bareUs && proxyUs) {
    lines.push(
      `cpu cost per request: bare proxy ${Math.round(bareUs)} µs, tokenmeter proxy ${Math.round(proxyUs)} µs ` +
        `(+ redis ${Math.round(redisUs)} µs) → bare/tokenmeter = ${pct(bareUs / proxyUs)} (${pct(bareUs / (proxyUs + redisUs))} with redis)`,
    );
  }
  if (r.one) {
    lines.push(
      `1 connection: direct p50 ${fmtMs(r.one.a.p50Ms)}, through tokenmeter ${fmtMs(r.one.c.p50Ms)} → added p50 +${r.one.addedP50Ms.toFixed(2)} ms`,
    );
  }
  const noisiest = Math.max(0, ...rows.map(([, x]) => x.otherCpu ?? 0));
  if (noisiest >= 15) {
    lines.push(
      `⚠ other processes used up to ${Math.round(noisiest)} % CPU during a run: req/s and their ratios are unreliable ` +
        "(the noise differs between runs); trust the cpu µs per request more, or rerun on a quiet machine",
    );
  }
  const goals = [
    {
      figure: "c/b: metered proxy vs bare pipe, req/s",
      value: pct(r.c.rps / r.b.rps),
      goal: "≥ 60 %",
      ok: r.c.rps / r.b.rps >= 0.6,
    },
    {
      figure: "CPU µs per metered call, proxy (c)",
      value: proxyUs ? `${Math.round(proxyUs)} µs (+ redis ${Math.round(redisUs)})` : "-",
      goal: "≤ 150 µs",
      ok: proxyUs ? proxyUs <= 150 : null,
    },
  ];
  if (r.one) {
    goals.push({
      figure: "added p50 at one connection",
      value: `+${r.one.addedP50Ms.toFixed(2)} ms`,
      goal: "≤ 1 ms",
      ok: r.one.addedP50Ms <= 1,
    });
  }
  return { lines, goals };
}
