// Phase "worker": captures metered and committed per second by one worker process, end to end: N realistic
// captures are prefilled into a fresh queue (signed batch jobs, as the proxy packs them), then the built worker
// starts and the bench polls usage_logs until all N rows exist. Run once on an empty usage_logs, then again after
// loading `--worker-rows` rows (default 10 million) with bench/scale/load.mjs.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { prefillCaptures } from "./lib/captures.mjs";
import { BIN, root } from "./lib/context.mjs";
import { fmtCpu, fmtInt, log } from "./lib/format.mjs";
import { cpuMeter, cpuSeconds, spawnChild, waitForPort } from "./lib/proc.mjs";
import { captureQueue } from "./lib/setup.mjs";

export const name = "worker";

const LOADER = path.join(root, "bench/scale/load.mjs");

export async function run(ctx) {
  const { cfg } = ctx;
  const r = {};
  if (cfg.workerCaptures === 0) {
    log("  skipped (no captures asked for)");
    return r;
  }
  r.empty = await workerRun(ctx, "empty usage_logs", "worker", await tableRows(ctx));
  if (cfg.workerRows > 0) {
    if (!fs.existsSync(LOADER)) {
      log(`  ${fmtInt(cfg.workerRows)}-row run skipped: bench/scale/load.mjs is not in this build`);
      r.loadedSkipped = "the row loader (bench/scale/load.mjs) is not in this build";
    } else {
      r.load = loadRows(ctx, cfg.workerRows);
      const inTable = await tableRows(ctx);
      log(`    ${fmtInt(inTable)} rows in usage_logs after ${r.load.seconds.toFixed(0)} s`);
      r.loaded = await workerRun(ctx, `${fmtInt(inTable)} rows in usage_logs`, "worker-loaded", inTable);
    }
  }
  return r;
}

/** Fills usage_logs with the loader CLI (a JSON line on stdout); returns what it reported plus the row count. */
function loadRows(ctx, rows) {
  log(`  loading ${fmtInt(rows)} rows into usage_logs (bench/scale/load.mjs)…`);
  const t0 = performance.now();
  const out = spawnSync(process.execPath, [LOADER, "--database-url", ctx.dbUrl, "--rows", String(rows)], {
    cwd: root,
    encoding: "utf8",
    maxBuffer: 16 * 1024 * 1024,
  });
  if (out.status !== 0) throw new Error(`the row loader failed (${out.status}):\n${out.stderr.slice(-2000)}`);
  const line = out.stdout
    .trim()
    .split("\n")
    .findLast((l) => l.startsWith("{"));
  let report = {};
  try {
    report = JSON.parse(line ?? "{}");
  } catch {
    // the loader's line is informative only; the count below is what matters
  }
  const seconds = (performance.now() - t0) / 1000;
  return { ...report, seconds };
}

const tableRows = async (ctx) =>
  Number((await ctx.pg.query("SELECT count(*) FROM usage_logs")).rows[0].count);

async function workerRun(ctx, label, prefixName, rowsInTable) {
  const { cfg } = ctx;
  const n = cfg.workerCaptures;
  const service = await addService(ctx, `${ctx.slug}-${prefixName}`);
  const baseId = (await ctx.pg.query("SELECT coalesce(max(id), 0)::text AS max FROM usage_logs")).rows[0].max;
  log(`  ${label}: ${fmtInt(n)} prefilled captures → usage_logs`);
  const prefix = ctx.prefix(prefixName);
  const queue = captureQueue(cfg.redisUrl, prefix);
  ctx.queues.push(queue);
  const ids = { buyerId: ctx.ids.buyerId, keyId: ctx.ids.keyId, serviceId: service.id, slug: service.slug };
  const fill = await prefillCaptures(queue.queue, n, ids, ctx.signingKey);
  const waiting = (await queue.queue.getJobCounts("waiting")).waiting;
  log(
    `    prefilled ${fmtInt(n)} captures in ${fmtInt(waiting)} batch jobs (as the proxy packs them) in ${fill.seconds.toFixed(1)} s`,
  );
  if (waiting !== fill.jobs) throw new Error(`expected ${fill.jobs} waiting jobs, found ${waiting}`);

  // New rows are counted by id above the table's highest before the run: an index range, cheap on any table size.
  const countRows = async () =>
    Number(
      (
        await ctx.pg.query("SELECT count(*) FROM usage_logs WHERE id > $1 AND api_service_id = $2", [
          baseId,
          service.id,
        ])
      ).rows[0].count,
    );
  const profFlags = cfg.workerCpuProfDir ? ["--cpu-prof", `--cpu-prof-dir=${cfg.workerCpuProfDir}`] : [];
  const tStart = performance.now();
  const worker = spawnChild("worker", process.execPath, [...cfg.workerNodeArgs, ...profFlags, BIN.worker], {
    cwd: root,
    env: { ...process.env, ...ctx.appEnv(prefix, { WORKER_PORT: "0" }) },
  });
  const stopCpu = cpuMeter([worker.pid, ctx.redisPid].filter(Boolean));
  let readyS = null;
  let port = null;
  waitForPort(worker).then(
    (p) => {
      readyS = (performance.now() - tStart) / 1000;
      port = p;
    },
    () => undefined,
  );
  let firstRowS = null;
  let rows = 0;
  const deadline = tStart + cfg.workerTimeoutS * 1000;
  while (rows < n) {
    if (worker.child.exitCode !== null) throw new Error(`worker exited:\n${worker.lines.join("\n")}`);
    if (performance.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 50));
    rows = await countRows();
    if (rows > 0 && firstRowS === null) {
      firstRowS = (performance.now() - tStart) / 1000;
    }
  }
  const totalS = (performance.now() - tStart) / 1000;
  const endCpu = cpuSeconds(worker.pid);
  // The worker's own CPU per capture, start-up included: what a busy machine distorts least.
  const cpuUs = endCpu !== null && rows > 0 ? (endCpu * 1e6) / rows : null;
  const [workerCpu, redisCpu] = stopCpu();
  const gc = port === null ? null : await gcSeconds(port);
  await ctx.stopChild(worker);
  const rollup = (
    await ctx.pg.query(
      "SELECT coalesce(sum(calls), 0)::bigint AS calls, coalesce(sum(total_tokens), 0)::bigint AS tokens, " +
        "coalesce(sum(unpriced_calls), 0)::bigint AS unpriced FROM usage_daily_rollups WHERE api_service_id = $1",
      [service.id],
    )
  ).rows[0];
  const counts = await queue.queue.getJobCounts("failed", "waiting", "active", "delayed");
  const w = {
    label,
    n,
    rows,
    rowsInTable,
    done: rows >= n,
    totalS,
    readyS,
    firstRowS,
    rate: rows / totalS,
    steadyRate: firstRowS !== null && totalS > firstRowS ? rows / (totalS - firstRowS) : null,
    rollupCalls: Number(rollup.calls),
    rollupTokens: Number(rollup.tokens),
    unpriced: Number(rollup.unpriced),
    expectedTokens: fill.totalTokens,
    failed: counts.failed ?? 0,
    workerCpu,
    redisCpu,
    cpuUs,
    cpuS: endCpu,
    gc,
  };
  w.rollupOk = w.rollupCalls === n && w.rollupTokens === w.expectedTokens;
  log(
    `    ${w.done ? "all" : "ONLY"} ${fmtInt(rows)} rows in ${totalS.toFixed(1)} s from worker start = ${fmtInt(w.rate)} captures/s` +
      ` (ready after ${readyS?.toFixed(1) ?? "?"} s, first row ${firstRowS?.toFixed(1) ?? "?"} s; ` +
      `${w.steadyRate ? `${fmtInt(w.steadyRate)}/s from the first row` : "-"}); cpu% worker ${fmtCpu(workerCpu).trim()}, redis ${fmtCpu(redisCpu).trim()}` +
      `; worker CPU ${endCpu?.toFixed(2) ?? "-"} s = ${cpuUs === null ? "-" : `${cpuUs.toFixed(0)} µs`} per capture (start-up included)`,
  );
  if (gc)
    log(
      `    garbage collection: ${gcLine(gc, rows)} (V8's own timings, steadier than captures/s on a shared machine)`,
    );
  log(
    `    rollups: ${fmtInt(w.rollupCalls)} calls, ${fmtInt(w.rollupTokens)} tokens (expected ${fmtInt(n)} / ${fmtInt(w.expectedTokens)}) ` +
      `${w.rollupOk ? "✓" : "✗ MISMATCH"}; unpriced ${w.unpriced}; failed jobs ${w.failed}`,
  );
  await ctx.dropQueue(queue, prefix);
  return w;
}

/**
 * Seconds the worker spent in garbage collection by kind (minor = scavenges), from its /metrics (prom-client's
 * default `nodejs_gc_duration_seconds`); null when it cannot be read.
 */
async function gcSeconds(port) {
  try {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const out = {};
    for (const m of text.matchAll(/^\w*nodejs_gc_duration_seconds_sum\{kind="(\w+)"\} ([\d.e+-]+)$/gm))
      out[m[1]] = Number(m[2]);
    return Object.keys(out).length > 0 ? out : null;
  } catch {
    return null;
  }
}

const gcLine = (gc, rows) => {
  const total = Object.values(gc).reduce((a, b) => a + b, 0);
  const kinds = Object.entries(gc)
    .filter(([, s]) => s > 0)
    .map(([k, s]) => `${k} ${s.toFixed(2)} s`)
    .join(", ");
  return `${total.toFixed(2)} s = ${rows > 0 ? ((total * 1e6) / rows).toFixed(1) : "-"} µs per capture (${kinds})`;
};

/** A service of its own per run, so its rows and rollups are counted apart. */
async function addService(ctx, slug) {
  const { rows } = await ctx.pg.query(
    "INSERT INTO api_services (name, slug, upstream_url, upstream_headers) VALUES ($1, $2, $3, $4) RETURNING id",
    [`bench ${slug}`, slug, "http://127.0.0.1:9", JSON.stringify({})],
  );
  return { id: Number(rows[0].id), slug };
}

const line = (w) =>
  `worker, ${w.label}: ${fmtInt(w.rows)}/${fmtInt(w.n)} captures in ${w.totalS.toFixed(1)} s from process start = ${fmtInt(w.rate)} captures/s` +
  `${w.steadyRate ? ` (${fmtInt(w.steadyRate)}/s after first row at ${w.firstRowS.toFixed(1)} s)` : ""}` +
  `; rollups ${w.rollupOk ? "✓" : "✗"}; failed ${w.failed}; cpu% worker ${fmtCpu(w.workerCpu).trim()}` +
  `; ${w.cpuUs === null ? "-" : `${w.cpuUs.toFixed(0)} µs`} CPU per capture` +
  `${w.gc ? `; GC ${gcLine(w.gc, w.rows)}` : ""}`;

export function summary(r) {
  const lines = [];
  const goals = [];
  const goal = (w, what) => ({
    figure: `worker captures/s, ${what} (from process start; steady)`,
    value: `${fmtInt(w.rate)}; ${w.steadyRate ? fmtInt(w.steadyRate) : "-"}`,
    goal: "≥ 12,000",
    ok: w.done && w.rollupOk && w.rate >= 12_000,
  });
  if (r.empty) {
    lines.push(line(r.empty));
    goals.push(goal(r.empty, "empty table"));
  }
  if (r.loaded) {
    lines.push(`${line(r.loaded)}; table loaded in ${r.load.seconds.toFixed(0)} s`);
    goals.push(goal(r.loaded, `${fmtInt(r.loaded.rowsInTable)} rows`));
  } else if (r.loadedSkipped) {
    goals.push({ figure: "worker captures/s, 10M-row table", value: "skipped", goal: "≥ 12,000", ok: null });
    lines.push(`worker on a loaded table: skipped (${r.loadedSkipped})`);
  }
  return { lines, goals };
}
