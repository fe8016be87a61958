#!/usr/bin/env node
// `npm run bench`: runs the measurements selected with --phases (default: all), one module each in bench/,
// in one throwaway database and throwaway queue prefixes, removed at the end; prints one summary with every
// figure beside its goal. `npm run bench -- --help` lists the options; bench/README.md explains each phase.
import os from "node:os";
import * as big from "./big.mjs";
import * as cluster from "./cluster.mjs";
import * as journal from "./journal.mjs";
import * as lag from "./lag.mjs";
import { ALL_PHASES, readConfig } from "./lib/config.mjs";
import { BenchContext, requireBuilt } from "./lib/context.mjs";
import { log, pad, step } from "./lib/format.mjs";
import * as outage from "./outage.mjs";
import * as proxy from "./proxy.mjs";
import * as sse from "./sse.mjs";
import * as worker from "./worker.mjs";

const PHASES = { proxy, sse, big, lag, journal, outage, worker, cluster };
const TITLES = {
  proxy: "proxy throughput: upstream direct, bare pipe, http-proxy-middleware, tokenmeter (metering on)",
  sse: "SSE: time to first byte, direct vs through the proxy",
  big: "big answers: 5 MB responses at 64 connections, throughput and the proxy's peak RSS",
  lag: "metering lag: response end → usage row committed, at a steady rate",
  journal: "capture journal: CPU per appended capture",
  outage: "Redis outage under load: journal replay",
  worker: "worker throughput: captures/s on an empty and on a loaded usage_logs",
  cluster: "proxy as 1 vs N processes (PROXY_WORKERS)",
};

const cfg = readConfig();
const ctx = new BenchContext(cfg);

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    if (ctx.interrupted) return;
    ctx.interrupted = true;
    console.error(`\n✖ ${signal}: stopping children and removing the bench database and queues…`);
    ctx.cleanup().then(
      (notes) => {
        for (const n of notes) console.error(`  ${n}`);
        process.exit(130);
      },
      () => process.exit(130),
    );
  });
}

async function main() {
  const stale = requireBuilt();
  const startedAt = new Date();
  const t0 = performance.now();
  const load = os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");
  step("setup");
  await ctx.setup();
  log(`tokenmeter bench — ${startedAt.toISOString()}`);
  log(
    `  node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model?.trim() ?? "?"}), load average ${load}` +
      `\n  load generator: ${ctx.toolVersion} (${ctx.tool.reason}); phases: ${[...cfg.phases].join(", ")}`,
  );
  if (cfg.proxyNodeArgs.length > 0)
    log(`  ⚠ proxy started with extra node args: ${cfg.proxyNodeArgs.join(" ")}`);
  if (stale.length > 0)
    log(`  ⚠ sources newer than dist/ in ${stale.join(", ")}: rebuild to measure the current code`);

  const results = {};
  for (const phase of ALL_PHASES) {
    if (!cfg.phases.has(phase)) continue;
    step(TITLES[phase]);
    const t = performance.now();
    results[phase] = await PHASES[phase].run(ctx);
    log(`  (${((performance.now() - t) / 1000).toFixed(0)} s)`);
  }
  await ctx.stopChild(ctx.upstream.record);

  step("teardown");
  for (const note of await ctx.cleanup()) log(`  ${note}`);
  if (cfg.cpuProfDir)
    log(`  proxy CPU profile(s) of run (c) in ${cfg.cpuProfDir} (node bench/profile-summary.mjs <file>)`);
  if (cfg.workerCpuProfDir)
    log(`  worker CPU profile(s) in ${cfg.workerCpuProfDir} (node bench/profile-summary.mjs <file>)`);
  printSummary(results, {
    cfg,
    startedAt,
    load,
    toolVersion: ctx.toolVersion,
    totalS: (performance.now() - t0) / 1000,
  });
}

/** The details of every phase that ran, then one table: figure, value, goal, met or not. */
function printSummary(results, meta) {
  step("results");
  const lines = [
    `tokenmeter bench ${meta.startedAt.toISOString().slice(0, 16)}Z · node ${process.version} · ${os.cpus().length} CPUs · load avg at start ${meta.load}`,
  ];
  const goals = [];
  for (const phase of ALL_PHASES) {
    if (!results[phase]) continue;
    const s = PHASES[phase].summary(results[phase], meta, results);
    lines.push(...s.lines);
    goals.push(...s.goals);
  }
  lines.push(`total bench time ${meta.totalS.toFixed(0)} s`);
  const width = Math.min(140, Math.max(...lines.map((l) => l.length)));
  log(`\n${"─".repeat(width)}\n${lines.join("\n")}\n${"─".repeat(width)}`);
  if (goals.length === 0) return;
  const w1 = Math.max(6, ...goals.map((g) => g.figure.length));
  const w2 = Math.max(5, ...goals.map((g) => g.value.length));
  const w3 = Math.max(4, ...goals.map((g) => g.goal.length));
  const mark = (ok) => (ok === true ? "✓" : ok === false ? "✗" : "·");
  log(`\n${pad("figure", w1)}  ${pad("value", w2)}  ${pad("goal", w3)}  met`);
  log(`${"-".repeat(w1)}  ${"-".repeat(w2)}  ${"-".repeat(w3)}  ---`);
  for (const g of goals) log(`${pad(g.figure, w1)}  ${pad(g.value, w2)}  ${pad(g.goal, w3)}  ${mark(g.ok)}`);
  log("(figures from a shared machine are noisy; compare ratios taken in the same run)");
}

main().then(
  () => process.exit(0),
  async (error) => {
    if (ctx.interrupted) return; // the signal handler cleans up and exits
    console.error(`\n✖ bench failed: ${error.stack ?? error.message}`);
    const notes = await ctx.cleanup().catch(() => []);
    for (const n of notes) console.error(`  ${n}`);
    process.exit(1);
  },
);
