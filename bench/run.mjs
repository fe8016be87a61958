#!/usr/bin/env node
// `npm run bench`: proxy throughput (upstream direct vs a bare node:http proxy vs tokenmeter's proxy with
// metering on) and worker throughput (captures metered and written to PostgreSQL per second), in one run.
// Everything runs on loopback in a throwaway database and throwaway queue prefixes, removed at the end.
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { prefillCaptures } from "./lib/captures.mjs";
import { chooseLoadTool, loadToolVersion, runLoad } from "./lib/load.mjs";
import { cpuMeter, spawnChild, stopAllChildren, stopChild, waitForPort } from "./lib/proc.mjs";
import {
  captureQueue,
  checkServices,
  countCaptures,
  DEFAULT_DATABASE_URL,
  DEFAULT_REDIS_URL,
  dbClient,
  randomTag,
  removeQueues,
  seed,
  settledJobCounts,
  totalJobs,
  withDatabase,
} from "./lib/setup.mjs";

// Proxy and worker of one bench run share a throwaway capture signing secret.
const BENCH_SIGNING_KEY = randomBytes(32).toString("base64url");
const BENCH_SECRETS_KEY = randomBytes(32).toString("base64");

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

const num = (name, fallback) => {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number, got "${raw}"`);
  return n;
};
const cfg = {
  durationS: num("BENCH_DURATION_S", 10),
  warmupS: num("BENCH_WARMUP_S", 2),
  connections: Math.max(1, Math.round(num("BENCH_CONNECTIONS", 64))),
  workerCaptures: Math.round(num("BENCH_WORKER_CAPTURES", 50_000)),
  withWorkerRun: process.env.BENCH_WITH_WORKER !== "0",
  phases: new Set((process.env.BENCH_PHASES || "proxy,worker").split(",").map((p) => p.trim())),
  workerTimeoutS: num("BENCH_WORKER_TIMEOUT_S", 90),
  proxyNodeArgs: (process.env.BENCH_PROXY_NODE_ARGS ?? "").split(" ").filter(Boolean),
  cpuProfDir: process.env.BENCH_CPU_PROF_DIR ? path.resolve(process.env.BENCH_CPU_PROF_DIR) : null,
  databaseUrl: process.env.DATABASE_URL || DEFAULT_DATABASE_URL,
  redisUrl: process.env.REDIS_URL || DEFAULT_REDIS_URL,
};
if (cfg.durationS < 1) throw new Error("BENCH_DURATION_S must be at least 1");

const BIN = {
  upstream: path.join(root, "packages/fake-upstream/dist/cli.js"),
  proxy: path.join(root, "apps/proxy/dist/main.js"),
  worker: path.join(root, "apps/worker/dist/main.js"),
  bare: path.join(root, "bench/bare-proxy.mjs"),
  hpm: path.join(root, "bench/hpm-proxy.mjs"),
};
const REQUEST_BODY = JSON.stringify({
  model: "gpt-3.5-turbo",
  messages: [{ role: "user", content: "Say hello in one short sentence." }],
  max_tokens: 32,
});

// ---------------------------------------------------------------------------------------------- formatting
const log = (...a) => console.log(...a);
const step = (s) => log(`\n▸ ${s}`);
const fmtInt = (n) => Math.round(n).toLocaleString("en-US");
const fmtMs = (n) => `${n.toFixed(2)} ms`;
const pct = (x) => `${(100 * x).toFixed(1)} %`;
const fmtCpu = (v) => (v === null || v === undefined ? "  -" : `${Math.round(v)}`.padStart(3));
const pad = (s, n) => String(s).padEnd(n);
const lpad = (s, n) => String(s).padStart(n);

// --------------------------------------------------------------------------------------------- cleanup
const state = { dbUrl: null, dbCreated: false, prefixes: [], tmpDir: null, queues: [], pg: null };
let cleaning = null;
function cleanup() {
  if (cleaning) return cleaning;
  cleaning = (async () => {
    const notes = [];
    await stopAllChildren().catch((e) => notes.push(`stopping children: ${e.message}`));
    for (const q of state.queues) await q.close().catch(() => undefined);
    await state.pg?.end().catch(() => undefined);
    if (state.prefixes.length > 0) {
      try {
        const removed = await removeQueues(cfg.redisUrl, state.prefixes);
        notes.push(`queues removed (${state.prefixes.join(", ")}; ${removed} leftover keys swept)`);
      } catch (e) {
        notes.push(`queue cleanup failed: ${e.message}`);
      }
    }
    if (state.dbCreated) {
      try {
        const { dropDatabase } = await import("@tokenmeter/db");
        await dropDatabase(state.dbUrl);
        notes.push(`database ${new URL(state.dbUrl).pathname.slice(1)} dropped`);
      } catch (e) {
        notes.push(`dropping the database failed: ${e.message}`);
      }
    }
    if (state.tmpDir) fs.rmSync(state.tmpDir, { recursive: true, force: true });
    return notes;
  })();
  return cleaning;
}
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    if (state.interrupted) return;
    state.interrupted = true;
    console.error(`\n✖ ${signal}: stopping children and removing the bench database and queues…`);
    cleanup().then(
      (notes) => {
        for (const n of notes) console.error(`  ${n}`);
        process.exit(130);
      },
      () => process.exit(130),
    );
  });
}

// ---------------------------------------------------------------------------------------------- helpers
function requireBuilt() {
  const missing = Object.entries(BIN).filter(([, f]) => !fs.existsSync(f));
  if (missing.length > 0) {
    throw new Error(
      `not built: ${missing.map(([, f]) => path.relative(root, f)).join(", ")}\n` +
        "  build first: npx turbo run build --output-logs=errors-only",
    );
  }
  // Warn when sources are newer than the build being measured.
  const newest = (dir) => {
    let t = 0;
    for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
      if (e.isFile() && e.name.endsWith(".ts"))
        t = Math.max(t, fs.statSync(path.join(e.parentPath ?? e.path, e.name)).mtimeMs);
    }
    return t;
  };
  const stale = [];
  for (const app of ["proxy", "worker"]) {
    const src = path.join(root, "apps", app, "src");
    if (fs.existsSync(src) && newest(src) > fs.statSync(BIN[app]).mtimeMs) stale.push(`apps/${app}`);
  }
  return stale;
}

function findProcess(comm) {
  for (const pid of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (fs.readFileSync(`/proc/${pid}/comm`, "utf8").trim() === comm) return Number(pid);
    } catch {
      // gone
    }
  }
  return null;
}

async function startNode(name, script, args, env, { cpuProf = false, nodeArgs = [] } = {}) {
  const flags = [
    ...nodeArgs,
    ...(cpuProf && cfg.cpuProfDir ? ["--cpu-prof", `--cpu-prof-dir=${cfg.cpuProfDir}`] : []),
  ];
  const record = spawnChild(name, process.execPath, [...flags, script, ...args], {
    cwd: root,
    env: { ...process.env, ...env },
  });
  const port = await waitForPort(record);
  return { record, port, url: `http://127.0.0.1:${port}` };
}

async function sanityCheck(label, url, headers) {
  const res = await fetch(url, { method: "POST", headers, body: REQUEST_BODY });
  const text = await res.text();
  let ok = res.status === 200;
  try {
    ok &&= JSON.parse(text).object === "chat.completion";
  } catch {
    ok = false;
  }
  if (!ok) throw new Error(`${label}: POST ${url} answered ${res.status}: ${text.slice(0, 300)}`);
  return { bytes: Buffer.byteLength(text), requestId: res.headers.get("x-request-id") };
}

/**
 * Warm-up, then the measured run. Refuses results with socket errors or non-2xx answers (an auth failure
 * would otherwise look fast). `warmupRequests` is kept so the queue check can count every call.
 */
async function measureCounting(tool, label, url, headers, watch) {
  const base = { url, connections: cfg.connections, headers, body: REQUEST_BODY, tmpDir: state.tmpDir };
  let warm = 0;
  if (cfg.warmupS > 0) {
    const w = await runLoad(tool, { ...base, durationS: cfg.warmupS });
    if (w.non2xx > 0 || w.socketErrors > 0)
      throw new Error(`${label} warm-up: ${w.socketErrors} socket errors, ${w.non2xx} non-2xx`);
    warm = w.requests;
  }
  const r = await runLoad(tool, { ...base, durationS: cfg.durationS, watchPids: watch.map((w) => w.pid) });
  r.label = label;
  r.warmupRequests = warm;
  r.watch = Object.fromEntries(watch.map((w, i) => [w.name, r.cpu?.[i + 1] ?? null]));
  r.loadCpu = r.cpu?.[0] ?? null;
  // What the machine used beyond the bench's own processes (other people's builds and tests): noise.
  const ours = [r.loadCpu, ...Object.values(r.watch)].reduce((a, b) => a + (b ?? 0), 0);
  r.otherCpu = r.machineCpu === null ? null : Math.max(0, r.machineCpu - ours);
  log(
    `  ${pad(label, 34)} ${lpad(fmtInt(r.rps), 8)} req/s   p50 ${lpad(fmtMs(r.p50Ms), 9)}   p99 ${lpad(fmtMs(r.p99Ms), 9)}` +
      `   cpu% ${[["load", r.loadCpu], ...Object.entries(r.watch), ["other", r.otherCpu]].map(([n, v]) => `${n} ${fmtCpu(v).trim()}`).join(", ")}`,
  );
  if (r.socketErrors > 0 || r.non2xx > 0) {
    throw new Error(
      `${label}: ${r.socketErrors} socket errors, ${r.non2xx} non-2xx answers: the figures would be meaningless`,
    );
  }
  return r;
}

// ------------------------------------------------------------------------------------------------- main
async function main() {
  const stale = requireBuilt();
  const tool = chooseLoadTool();
  const toolVersion = await loadToolVersion(tool);
  const tag = randomTag();
  const startedAt = new Date();
  const t0 = performance.now();
  const load = os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");
  log(`tokenmeter bench — ${startedAt.toISOString()}`);
  log(
    `  node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model?.trim() ?? "?"}), load average ${load}` +
      `\n  load generator: ${toolVersion} (${tool.reason}); ${cfg.connections} connections, ${cfg.warmupS} s warm-up + ${cfg.durationS} s per target`,
  );
  if (cfg.proxyNodeArgs.length > 0)
    log(`  ⚠ proxy started with extra node args: ${cfg.proxyNodeArgs.join(" ")}`);
  if (stale.length > 0)
    log(`  ⚠ sources newer than dist/ in ${stale.join(", ")}: rebuild to measure the current code`);

  // 1. Setup ---------------------------------------------------------------------------------------------
  step("setup");
  for (const url of [cfg.databaseUrl, cfg.redisUrl]) {
    const host = new URL(url).hostname.replace(/^\[|\]$/g, "");
    if (!["127.0.0.1", "localhost", "::1"].includes(host)) {
      throw new Error(
        `the bench only runs against loopback services; ${host} is not (check DATABASE_URL / REDIS_URL)`,
      );
    }
  }
  await checkServices(cfg.databaseUrl, cfg.redisUrl);
  state.tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), "tokenmeter-bench-"));
  if (cfg.cpuProfDir) fs.mkdirSync(cfg.cpuProfDir, { recursive: true });
  const dbName = `tokenmeter_bench_${tag}`;
  state.dbUrl = withDatabase(cfg.databaseUrl, dbName);
  const { prepareDatabase } = await import("@tokenmeter/db");
  const { generateApiKey } = await import("@tokenmeter/keys");
  const tDb = performance.now();
  state.dbCreated = true; // dropped at the end even if migration fails halfway
  await prepareDatabase(state.dbUrl);
  log(`  database ${dbName} created and migrated (${((performance.now() - tDb) / 1000).toFixed(1)} s)`);

  const upstream = await startNode("fake-upstream", BIN.upstream, ["0"], {});
  upstream.name = "upstream";
  log(`  fake upstream (own process, pid ${upstream.record.pid}) on ${upstream.url}`);

  const apiKey = generateApiKey();
  const slug = `bench-${tag}`;
  const ids = await seed(state.dbUrl, { upstreamUrl: upstream.url, apiKey, slug });
  log(
    `  seeded buyer ${ids.buyerId}, key ${apiKey.prefix}… (id ${ids.keyId}), service "${slug}" (id ${ids.serviceId}) → fake upstream`,
  );
  state.pg = await dbClient(state.dbUrl);

  const prefix = {
    proxy: `{tmbench_${tag}_proxy}`,
    live: `{tmbench_${tag}_live}`,
    worker: `{tmbench_${tag}_worker}`,
  };
  state.prefixes.push(...Object.values(prefix));
  const redisPid = findProcess("redis-server");
  const headers = { "content-type": "application/json", authorization: `Bearer ${apiKey.key}` };
  const appEnv = (queuePrefix, extra = {}) => ({
    DATABASE_URL: state.dbUrl,
    REDIS_URL: cfg.redisUrl,
    QUEUE_PREFIX: queuePrefix,
    LOG_LEVEL: "warn",
    HOST: "127.0.0.1",
    CAPTURE_SIGNING_KEY: BENCH_SIGNING_KEY,
    SECRETS_KEY: BENCH_SECRETS_KEY,
    ...extra,
  });
  const watchOf = (list) => list.filter((w) => w.pid);

  // 2. Proxy throughput --------------------------------------------------------------------------------
  const results = {};
  const redisW = { name: "redis", pid: redisPid };
  if (cfg.phases.has("proxy")) {
    step(
      `proxy throughput: POST /bench (1 KB JSON answer), ${cfg.connections} connections, ${cfg.durationS} s each`,
    );
    const upstreamW = { name: "upstream", pid: upstream.record.pid };

    // (a) direct
    const direct = await sanityCheck("upstream", `${upstream.url}/bench`, headers);
    results.a = await measureCounting(
      tool,
      "(a) upstream direct",
      `${upstream.url}/bench`,
      headers,
      watchOf([upstreamW]),
    );
    results.a.responseBytes = direct.bytes;

    // (b) bare node:http proxy
    const bare = await startNode("bare-proxy", BIN.bare, [upstream.url, "0"], {});
    await sanityCheck("bare proxy", `${bare.url}/bench`, headers);
    results.b = await measureCounting(
      tool,
      "(b) bare node:http proxy",
      `${bare.url}/bench`,
      headers,
      watchOf([{ name: "bare", pid: bare.record.pid }, upstreamW]),
    );
    await stopChild(bare.record);

    // (b') node:http + http-proxy-middleware, nothing else: the ceiling of the library apps/proxy uses.
    const hpm = await startNode("hpm-proxy", BIN.hpm, [upstream.url, "0"], {});
    await sanityCheck("hpm proxy", `${hpm.url}/bench`, headers);
    results.bh = await measureCounting(
      tool,
      "(b') http-proxy-middleware only",
      `${hpm.url}/bench`,
      headers,
      watchOf([{ name: "hpm", pid: hpm.record.pid }, upstreamW]),
    );
    await stopChild(hpm.record);

    // (c) tokenmeter proxy, metering on, no worker: captures pile up in the queue.
    const spoolC = path.join(state.tmpDir, "spool-proxy");
    const proxyC = await startNode(
      "proxy",
      BIN.proxy,
      [],
      appEnv(prefix.proxy, { PROXY_PORT: "0", SPOOL_DIR: spoolC }),
      {
        cpuProf: true,
        nodeArgs: cfg.proxyNodeArgs,
      },
    );
    const cQueue = captureQueue(cfg.redisUrl, prefix.proxy);
    state.queues.push(cQueue);
    await sanityCheck("tokenmeter proxy", `${proxyC.url}/${slug}/bench`, headers);
    results.c = await measureCounting(
      tool,
      "(c) tokenmeter proxy, metering on",
      `${proxyC.url}/${slug}/bench`,
      headers,
      watchOf([{ name: "proxy", pid: proxyC.record.pid }, upstreamW, redisW]),
    );
    {
      const completed = 1 + results.c.warmupRequests + results.c.requests;
      const counts = await settledJobCounts(cQueue.queue);
      const batchJobs = totalJobs(counts);
      const jobs = await countCaptures(cQueue.queue);
      const spooled = fs.existsSync(spoolC) ? fs.readdirSync(spoolC).length : 0;
      // wrk closes its connections at the end of each run: in-flight calls become client_aborted captures too.
      const ok = jobs >= completed * 0.99 && jobs <= completed + 2 * cfg.connections + 10;
      results.c.queue = { jobs, completed, counts, spooled, ok };
      log(
        `  queue ${prefix.proxy}: ${fmtInt(jobs)} captures in ${fmtInt(batchJobs)} batch jobs for ${fmtInt(completed)} completed requests (sanity + warm-up + run)` +
          ` = ${(jobs / completed).toFixed(4)} per request ${ok ? "✓" : "✗ MISMATCH"}; waiting ${fmtInt(counts.waiting ?? 0)}` +
          `${spooled ? `, ${spooled} spool files` : ""}`,
      );
    }
    await stopChild(proxyC.record);
    await cQueue.close();
    state.queues = state.queues.filter((q) => q !== cQueue);
    await removeQueues(cfg.redisUrl, [prefix.proxy]); // free Redis memory now; the final sweep repeats it

    // (c') the same with the worker consuming the queue, as in production (it competes for the 2 cores).
    if (cfg.withWorkerRun) {
      const proxyL = await startNode(
        "proxy",
        BIN.proxy,
        [],
        appEnv(prefix.live, { PROXY_PORT: "0", SPOOL_DIR: path.join(state.tmpDir, "spool-live") }),
        {
          nodeArgs: cfg.proxyNodeArgs,
        },
      );
      const workerL = await startNode("worker", BIN.worker, [], appEnv(prefix.live, { WORKER_PORT: "0" }));
      const lQueue = captureQueue(cfg.redisUrl, prefix.live);
      state.queues.push(lQueue);
      await sanityCheck("tokenmeter proxy (live)", `${proxyL.url}/${slug}/bench`, headers);
      results.cw = await measureCounting(
        tool,
        "(c') tokenmeter proxy + worker",
        `${proxyL.url}/${slug}/bench`,
        headers,
        watchOf([
          { name: "proxy", pid: proxyL.record.pid },
          upstreamW,
          { name: "worker", pid: workerL.record.pid },
          redisW,
        ]),
      );
      const completed = 1 + results.cw.warmupRequests + results.cw.requests;
      const rowsAtEnd = Number(
        (await state.pg.query("SELECT count(*) FROM usage_logs WHERE api_service_id = $1", [ids.serviceId]))
          .rows[0].count,
      );
      const backlog = await lQueue.queue.getJobCounts("waiting", "active", "prioritized", "delayed");
      const tDrain = performance.now();
      let rows = rowsAtEnd;
      while (rows < completed && performance.now() - tDrain < 30_000) {
        await new Promise((r) => setTimeout(r, 250));
        rows = Number(
          (await state.pg.query("SELECT count(*) FROM usage_logs WHERE api_service_id = $1", [ids.serviceId]))
            .rows[0].count,
        );
      }
      results.cw.live = {
        completed,
        rowsAtEnd,
        backlogAtEnd: totalJobs(backlog),
        rows,
        drainS: (performance.now() - tDrain) / 1000,
      };
      log(
        `  when the load stopped: ${fmtInt(rowsAtEnd)} rows in usage_logs for ${fmtInt(completed)} completed calls ` +
          `(plus in-flight calls cut by the load tool, metered as client_aborted), backlog ${fmtInt(totalJobs(backlog))} jobs; ` +
          `${rows >= completed ? `${fmtInt(rows)} rows ${((performance.now() - tDrain) / 1000).toFixed(1)} s later` : `only ${fmtInt(rows)} rows after 30 s`}`,
      );
      await stopChild(workerL.record);
      await stopChild(proxyL.record);
      await lQueue.close();
      state.queues = state.queues.filter((q) => q !== lQueue);
      await removeQueues(cfg.redisUrl, [prefix.live]);
    } else {
      log("  (c') skipped (BENCH_WITH_WORKER=0)");
    }
  } else {
    log("\n▸ proxy throughput skipped (BENCH_PHASES)");
  }
  await stopChild(upstream.record);

  // 3. Worker throughput --------------------------------------------------------------------------------
  if (cfg.workerCaptures > 0 && cfg.phases.has("worker")) {
    const n = cfg.workerCaptures;
    step(`worker throughput: ${fmtInt(n)} prefilled captures → usage_logs`);
    const wQueue = captureQueue(cfg.redisUrl, prefix.worker);
    state.queues.push(wQueue);
    const wIds = {
      buyerId: ids.buyerId,
      keyId: ids.keyId,
      serviceId: ids.workerServiceId,
      slug: `${slug}-w`,
    };
    const fill = await prefillCaptures(wQueue.queue, n, wIds, BENCH_SIGNING_KEY);
    const waiting = (await wQueue.queue.getJobCounts("waiting")).waiting;
    log(
      `  prefilled ${fmtInt(n)} captures in ${fmtInt(waiting)} batch jobs (as the proxy packs them) in ${fill.seconds.toFixed(1)} s`,
    );
    if (waiting !== fill.jobs) throw new Error(`expected ${fill.jobs} waiting jobs, found ${waiting}`);

    const countRows = async () =>
      Number(
        (
          await state.pg.query("SELECT count(*) FROM usage_logs WHERE api_service_id = $1", [
            ids.workerServiceId,
          ])
        ).rows[0].count,
      );
    const tStart = performance.now();
    const worker = spawnChild("worker", process.execPath, [BIN.worker], {
      cwd: root,
      env: { ...process.env, ...appEnv(prefix.worker, { WORKER_PORT: "0" }) },
    });
    const stopCpu = cpuMeter([worker.pid, redisPid].filter(Boolean));
    let readyS = null;
    waitForPort(worker).then(
      () => {
        readyS = (performance.now() - tStart) / 1000;
      },
      () => undefined,
    );
    let firstRowS = null;
    let rows = 0;
    const deadline = tStart + cfg.workerTimeoutS * 1000;
    while (rows < n) {
      if (worker.child.exitCode !== null) throw new Error(`worker exited:\n${worker.lines.join("\n")}`);
      if (performance.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 100));
      rows = await countRows();
      if (rows > 0 && firstRowS === null) firstRowS = (performance.now() - tStart) / 1000;
    }
    const totalS = (performance.now() - tStart) / 1000;
    const [workerCpu, redisCpu] = stopCpu();
    await stopChild(worker);
    const rollup = (
      await state.pg.query(
        "SELECT coalesce(sum(calls), 0)::bigint AS calls, coalesce(sum(total_tokens), 0)::bigint AS tokens, " +
          "coalesce(sum(unpriced_calls), 0)::bigint AS unpriced FROM usage_daily_rollups WHERE api_service_id = $1",
        [ids.workerServiceId],
      )
    ).rows[0];
    const counts = await wQueue.queue.getJobCounts("failed", "waiting", "active", "delayed");
    const done = rows >= n;
    const w = {
      n,
      rows,
      done,
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
    };
    w.rollupOk = w.rollupCalls === n && w.rollupTokens === w.expectedTokens;
    results.worker = w;
    log(
      `  ${done ? "all" : "ONLY"} ${fmtInt(rows)} rows in ${totalS.toFixed(1)} s from worker start = ${fmtInt(w.rate)} captures/s` +
        ` (ready after ${readyS?.toFixed(1) ?? "?"} s, first row ${firstRowS?.toFixed(1) ?? "?"} s; ` +
        `${w.steadyRate ? `${fmtInt(w.steadyRate)}/s from the first row` : "-"}); cpu% worker ${fmtCpu(workerCpu).trim()}, redis ${fmtCpu(redisCpu).trim()}`,
    );
    log(
      `  rollups: ${fmtInt(w.rollupCalls)} calls, ${fmtInt(w.rollupTokens)} tokens (expected ${fmtInt(n)} / ${fmtInt(w.expectedTokens)}) ` +
        `${w.rollupOk ? "✓" : "✗ MISMATCH"}; unpriced ${w.unpriced}; failed jobs ${w.failed}`,
    );
    await wQueue.close();
    state.queues = state.queues.filter((q) => q !== wQueue);
  }

  // 4. Teardown ---------------------------------------------------------------------------------------------
  step("teardown");
  for (const note of await cleanup()) log(`  ${note}`);
  if (cfg.cpuProfDir)
    log(`  proxy CPU profile(s) of run (c) in ${cfg.cpuProfDir} (node bench/profile-summary.mjs <file>)`);

  printSummary(results, { startedAt, toolVersion, load, totalS: (performance.now() - t0) / 1000 });
}

function printSummary(r, meta) {
  const rows = [
    ["(a) upstream direct", r.a],
    ["(b) bare node:http proxy", r.b],
    ["(b') http-proxy-middleware only", r.bh],
    ["(c) tokenmeter, metering on", r.c],
    ["(c') tokenmeter + worker", r.cw],
  ].filter(([, x]) => x);
  step("results");
  const lines = [
    `tokenmeter bench ${meta.startedAt.toISOString().slice(0, 16)}Z · node ${process.version} · ${os.cpus().length} CPUs · load avg at start ${meta.load}`,
  ];
  if (r.a && r.b && r.c) proxySummary(r, meta, rows, lines);
  if (r.worker) {
    const w = r.worker;
    lines.push(
      `worker: ${fmtInt(w.rows)}/${fmtInt(w.n)} captures in ${w.totalS.toFixed(1)} s from process start = ${fmtInt(w.rate)} captures/s` +
        `${w.steadyRate ? ` (${fmtInt(w.steadyRate)}/s after first row at ${w.firstRowS.toFixed(1)} s)` : ""}` +
        `; rollups ${fmtInt(w.rollupCalls)} calls ${w.rollupOk ? "✓" : "✗"}; failed ${w.failed}; cpu% worker ${fmtCpu(w.workerCpu).trim()}`,
    );
  }
  lines.push(`total bench time ${meta.totalS.toFixed(0)} s`);
  const width = Math.min(140, Math.max(...lines.map((l) => l.length)));
  log(`\n${"─".repeat(width)}\n${lines.join("\n")}\n${"─".repeat(width)}`);
}

function proxySummary(r, meta, rows, lines) {
  log(`  ${pad("target", 30)} ${lpad("req/s", 8)} ${lpad("p50", 10)} ${lpad("p99", 10)}   vs (a)   vs (b)`);
  for (const [label, x] of rows) {
    log(
      `  ${pad(label, 30)} ${lpad(fmtInt(x.rps), 8)} ${lpad(fmtMs(x.p50Ms), 10)} ${lpad(fmtMs(x.p99Ms), 10)}` +
        `  ${lpad(pct(x.rps / r.a.rps), 7)}  ${lpad(pct(x.rps / r.b.rps), 7)}`,
    );
  }
  lines.push(
    `${meta.toolVersion}, ${cfg.connections} conns, ${cfg.warmupS}+${cfg.durationS} s per target, POST /bench → ${r.a.responseBytes} B JSON`,
  );
  for (const [label, x] of rows) {
    lines.push(
      `${pad(label, 30)} ${lpad(fmtInt(x.rps), 7)} req/s  p50 ${lpad(fmtMs(x.p50Ms), 9)}  p99 ${lpad(fmtMs(x.p99Ms), 9)}`,
    );
  }
  lines.push(
    `c/b = ${pct(r.c.rps / r.b.rps)}   c/a = ${pct(r.c.rps / r.a.rps)}   b/a = ${pct(r.b.rps / r.a.rps)}` +
      `   added p50 vs direct = +${(r.c.p50Ms - r.a.p50Ms).toFixed(2)} ms (bare: +${(r.b.p50Ms - r.a.p50Ms).toFixed(2)} ms)`,
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
  const cost = (x, name) => (x.watch[name] ? (x.watch[name] * 1e4) / x.rps : null);
  const bareUs = cost(r.b, "bare");
  const proxyUs = cost(r.c, "proxy");
  if (bareUs && proxyUs) {
    const redisUs = cost(r.c, "redis") ?? 0;
    lines.push(
      `cpu cost per request: bare proxy ${Math.round(bareUs)} µs, tokenmeter proxy ${Math.round(proxyUs)} µs ` +
        `(+ redis ${Math.round(redisUs)} µs) → bare/tokenmeter = ${pct(bareUs / proxyUs)} (${pct(bareUs / (proxyUs + redisUs))} with redis)`,
    );
  }
  const noisiest = Math.max(0, ...rows.map(([, x]) => x.otherCpu ?? 0));
  if (noisiest >= 15) {
    lines.push(
      `⚠ other processes used up to ${Math.round(noisiest)} % CPU during a run: req/s and their ratios are unreliable ` +
        "(the noise differs between runs); trust the cpu µs per request more, or rerun on a quiet machine",
    );
  }
}

main().then(
  () => process.exit(0),
  async (error) => {
    if (state.interrupted) return; // the signal handler cleans up and exits
    console.error(`\n✖ bench failed: ${error.stack ?? error.message}`);
    const notes = await cleanup().catch(() => []);
    for (const n of notes) console.error(`  ${n}`);
    process.exit(1);
  },
);
