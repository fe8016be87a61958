#!/usr/bin/env node
// `npm run bench:scale`: read latency of every usage route on a loaded database (10M usage_logs rows by
// default), storage per row, and the worker's captures/s on that table. See bench/README.md.
//
//   npm run bench:scale -- [--rows N] [--reuse] [--database-url URL] [--requests 200] [--budget-s 10]
//                          [--only REGEX] [--worker-captures 20000]
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import pg from "pg";
import { spawnChild, stopAllChildren, stopChild, waitForPort } from "../lib/proc.mjs";
import { DEFAULT_REDIS_URL, removeQueues } from "../lib/setup.mjs";
import { checkScaleDatabase, DEFAULT_SCALE_DATABASE_URL, loadScale, readLoadInfo } from "./load.mjs";
import { getJson, measureRoute } from "./measure.mjs";
import { scaleRoutes } from "./routes.mjs";
import { measureStorage, storageLines } from "./storage.mjs";
import { measureWorker } from "./worker.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const BIN = {
  controlPlane: path.join(root, "apps/control-plane/dist/main.js"),
  worker: path.join(root, "apps/worker/dist/main.js"),
};

const { values: args } = parseArgs({
  options: {
    "database-url": { type: "string", default: process.env.SCALE_DATABASE_URL || DEFAULT_SCALE_DATABASE_URL },
    rows: { type: "string", default: "10000000" },
    reuse: { type: "boolean", default: false },
    requests: { type: "string", default: "200" },
    "requests-16": { type: "string", default: "480" },
    "budget-s": { type: "string", default: "10" },
    "timeout-s": { type: "string", default: "30" },
    only: { type: "string" },
    "worker-captures": { type: "string", default: "20000" },
    "worker-timeout-s": { type: "string", default: "180" },
  },
});
const int = (name) => {
  const n = Number(args[name].replaceAll("_", ""));
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a non-negative number`);
  return n;
};
const cfg = {
  databaseUrl: args["database-url"],
  redisUrl: process.env.REDIS_URL || DEFAULT_REDIS_URL,
  rows: int("rows"),
  reuse: args.reuse,
  requests: int("requests"),
  requests16: int("requests-16"),
  budgetS: int("budget-s"),
  timeoutMs: int("timeout-s") * 1000,
  only: args.only ? new RegExp(args.only) : null,
  workerCaptures: int("worker-captures"),
  workerTimeoutS: int("worker-timeout-s"),
};

const log = (line = "") => console.log(line);
const fmtMs = (v) => (v === null || v === undefined ? "-" : v < 10 ? v.toFixed(1) : v.toFixed(0));
const fmtInt = (n) => Math.round(n).toLocaleString("en-US");
const tag = randomBytes(4).toString("hex");
const queuePrefix = `{tmscale_${tag}}`;
const workerPrefix = `{tmscale_${tag}_worker}`;

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    void stopAllChildren().finally(() => process.exit(130));
  });
}

async function connect(url) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return client;
}

/** The load to measure: the existing one with --reuse when its row count matches, else a fresh load. */
async function loadOrReuse() {
  if (cfg.reuse) {
    const client = await connect(cfg.databaseUrl).catch(() => null);
    if (client) {
      try {
        const info = await readLoadInfo(client);
        if (info?.rows === cfg.rows) {
          log(`reusing ${fmtInt(info.rows)} rows loaded ${info.to} (load took ${info.seconds} s)`);
          return { ...info, reused: true };
        }
        log(
          `--reuse: the database holds ${info ? fmtInt(info.rows) : "no"} loaded rows, not ${fmtInt(cfg.rows)}: loading`,
        );
      } finally {
        await client.end();
      }
    }
  }
  return loadScale({ databaseUrl: cfg.databaseUrl, rows: cfg.rows, log: (l) => log(`  ${l}`) });
}

/** Keys to read with (only hashes are stored); removed at the end. */
async function issueKeys(client, info) {
  const { generateApiKey, generateSellerKey } = await import("@tokenmeter/keys");
  const keys = {};
  for (const [who, buyerId] of [
    ["heavy", info.heavy_buyer_id],
    ["light", info.light_buyer_id],
  ]) {
    const k = generateApiKey();
    await client.query(
      "INSERT INTO api_keys (buyer_id, key_hash, prefix, name) VALUES ($1, $2, $3, 'scale bench reader')",
      [buyerId, k.hash, k.prefix],
    );
    keys[who] = k.key;
  }
  const s = generateSellerKey();
  await client.query(
    "INSERT INTO seller_api_keys (seller_id, key_hash, prefix, name) VALUES ($1, $2, $3, 'scale bench reader')",
    [info.seller_id, s.hash, s.prefix],
  );
  keys.seller = s.key;
  return keys;
}

async function removeKeys(client) {
  await client.query("DELETE FROM api_keys WHERE name = 'scale bench reader'");
  await client.query("DELETE FROM seller_api_keys WHERE name = 'scale bench reader'");
}

/** Filters for the logs routes: the busiest service, a service the light buyer never called, deep cursors. */
async function logsTargets(client, info) {
  const busiest = await client.query(
    "SELECT api_service_id AS id FROM usage_daily_rollups GROUP BY 1 ORDER BY sum(calls) DESC LIMIT 1",
  );
  const unused = await client.query(
    `SELECT id FROM api_services WHERE slug LIKE 'scale-svc-%' AND id NOT IN
       (SELECT api_service_id FROM usage_daily_rollups WHERE buyer_user_id = $1) ORDER BY id LIMIT 1`,
    [info.light_buyer_id],
  );
  const ids = await client.query("SELECT min(id)::text AS lo, max(id)::text AS hi FROM usage_logs");
  const lo = BigInt(ids.rows[0].lo ?? 0);
  const hi = BigInt(ids.rows[0].hi ?? 0);
  // Nine tenths of the way back in time: a page a reader reaches only by paging far.
  const deepId = lo + (hi - lo) / 10n;
  const deep = await client.query(
    "SELECT id::text, (extract(epoch FROM request_timestamp) * 1000)::bigint::text AS ms FROM usage_logs WHERE id = $1",
    [deepId.toString()],
  );
  const row = deep.rows[0];
  return {
    serviceId: Number(busiest.rows[0].id),
    otherServiceId: Number(unused.rows[0]?.id ?? busiest.rows[0].id),
    deep: row ? { id: row.id, cursor: Buffer.from(`${row.ms}.${row.id}`).toString("base64url") } : null,
  };
}

/** The deep page's query: the keyset cursor when the logs route pages by cursor, else before_id. */
async function deepCursor(base, auth, deep) {
  if (!deep) return null;
  const first = await getJson(`${base}/admin/usage/logs?limit=1`, auth);
  const q = "next_cursor" in first ? `cursor=${deep.cursor}` : `before_id=${deep.id}`;
  return { all: q, heavy: q };
}

function line(cells, widths) {
  return cells
    .map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i])))
    .join("  ");
}

async function main() {
  for (const [name, file] of Object.entries(BIN))
    if (!fs.existsSync(file))
      throw new Error(
        `${name} is not built (${path.relative(root, file)}): npx turbo run build --output-logs=errors-only`,
      );
  checkScaleDatabase(cfg.databaseUrl);
  const started = new Date();
  const loadBefore = os.loadavg()[0];
  log(
    `tokenmeter scale bench — ${started.toISOString()}, ${os.cpus().length} CPUs, load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")}`,
  );

  const info = await loadOrReuse();
  if (!info.reused)
    log(
      `loaded ${fmtInt(info.rows)} rows in ${info.seconds} s (COPY ${info.copy_s} s = ${fmtInt(info.copy_rows_per_s)} rows/s, rollups ${info.rollups_s} s, vacuum+analyze ${info.vacuum_analyze_s} s)`,
    );
  log(
    `heavy buyer ${info.heavy_buyer_id} (${fmtInt(info.heavy_buyer_rows)} rows), light buyer ${info.light_buyer_id} (${fmtInt(info.light_buyer_rows)} rows), seller ${info.seller_id} (${fmtInt(info.seller_rows)} rows); ${info.from.slice(0, 10)} → ${info.to.slice(0, 10)}`,
  );

  const client = await connect(cfg.databaseUrl);
  const adminToken = randomBytes(24).toString("base64url");
  const signingKey = randomBytes(32).toString("base64url");
  const appEnv = {
    DATABASE_URL: cfg.databaseUrl,
    REDIS_URL: cfg.redisUrl,
    QUEUE_PREFIX: queuePrefix,
    LOG_LEVEL: "warn",
    HOST: "127.0.0.1",
    ADMIN_TOKEN: adminToken,
    CAPTURE_SIGNING_KEY: signingKey,
    SECRETS_KEY: randomBytes(32).toString("base64"),
  };
  const results = [];
  let storage;
  let worker;
  try {
    await removeKeys(client);
    const keys = await issueKeys(client, info);
    const targets = await logsTargets(client, info);
    const auth = {
      heavy: { authorization: `Bearer ${keys.heavy}` },
      light: { authorization: `Bearer ${keys.light}` },
      seller: { authorization: `Bearer ${keys.seller}` },
      admin: { authorization: `Bearer ${adminToken}` },
    };

    // BENCH_CONTROL_PLANE_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/cp") to look inside a slow route.
    const cpArgs = (process.env.BENCH_CONTROL_PLANE_NODE_ARGS ?? "").split(" ").filter(Boolean);
    const cp = spawnChild("control-plane", process.execPath, [...cpArgs, BIN.controlPlane], {
      cwd: root,
      env: { ...process.env, ...appEnv, API_PORT: "0" },
    });
    const base = `http://127.0.0.1:${await waitForPort(cp)}`;
    // The figures mean nothing if the reads are not the loaded buyer's: check one answer first.
    const heavy = await getJson(
      `${base}/api/v1/usage/summary?from=${info.from.slice(0, 10)}&to=${info.to.slice(0, 10)}`,
      auth.heavy,
    );
    if (heavy.calls_made !== info.heavy_buyer_rows)
      throw new Error(
        `heavy buyer summary says ${heavy.calls_made} calls, the load wrote ${info.heavy_buyer_rows}`,
      );

    targets.deepCursor = await deepCursor(base, auth.admin, targets.deep);
    const routes = scaleRoutes(info, targets).filter((r) => !cfg.only || cfg.only.test(r.name));
    log(
      `\n${routes.length} routes × 1 and 16 connections (${cfg.requests} / ${cfg.requests16} requests, at most ${cfg.budgetS} s each)`,
    );
    for (const route of routes) {
      for (const connections of [1, 16]) {
        const r = await measureRoute(`${base}${route.path}`, auth[route.auth], {
          connections,
          requests: connections === 1 ? cfg.requests : cfg.requests16,
          warmup: connections === 1 ? 5 : 0,
          budgetS: cfg.budgetS,
          timeoutMs: cfg.timeoutMs,
        });
        const ok =
          connections === 1 ? r.non2xx + r.errors === 0 && r.p99 <= route.goal : r.status5xx + r.errors === 0;
        results.push({ ...route, connections, ...r, ok });
        log(
          `  ${route.name.padEnd(34)} ${String(connections).padStart(2)} conn  n ${String(r.n).padStart(4)}  p50 ${fmtMs(r.p50).padStart(6)}  p99 ${fmtMs(r.p99).padStart(6)} ms` +
            `${r.non2xx + r.errors > 0 ? `  non-2xx ${r.non2xx} (5xx ${r.status5xx}), errors ${r.errors}` : ""}`,
        );
      }
    }
    await stopChild(cp);

    storage = await measureStorage(client);
    if (cfg.workerCaptures > 0) {
      log(`\nworker: ${fmtInt(cfg.workerCaptures)} captures onto the loaded table…`);
      const keyRow = await client.query("SELECT id FROM api_keys WHERE buyer_id = $1 ORDER BY id LIMIT 1", [
        info.light_buyer_id,
      ]);
      worker = await measureWorker({
        pg: client,
        workerBin: BIN.worker,
        cwd: root,
        env: { ...appEnv, QUEUE_PREFIX: workerPrefix, WORKER_PORT: "0" },
        redisUrl: cfg.redisUrl,
        prefix: workerPrefix,
        signingKey,
        buyer: { id: info.light_buyer_id, keyId: Number(keyRow.rows[0].id) },
        sellerId: info.seller_id,
        n: cfg.workerCaptures,
        timeoutS: cfg.workerTimeoutS,
        tag,
      });
    }
  } finally {
    await removeKeys(client).catch(() => undefined);
    await client.end();
    await stopAllChildren();
    // The control plane's queue prefix (its schedulers leave keys there); the worker's is swept by its phase.
    await removeQueues(cfg.redisUrl, [queuePrefix]).catch(() => undefined);
  }

  const widths = [34, 5, 5, 8, 8, 8, 10, 4];
  const table = [
    line(["route", "conns", "n", "p50 ms", "p99 ms", "non-2xx", "goal", "ok"], widths),
    ...results.map((r) =>
      line(
        [
          r.name,
          r.connections,
          r.n,
          fmtMs(r.p50),
          fmtMs(r.p99),
          r.non2xx + r.errors,
          r.connections === 1 ? `p99≤${r.goal}` : "no 5xx",
          r.ok ? "✓" : "✗",
        ],
        widths,
      ),
    ),
  ];
  log(`\n${"─".repeat(100)}`);
  log(
    `tokenmeter scale bench, ${fmtInt(info.rows)} usage_logs rows over ${info.days} days (${info.buyers} buyers, ${info.services} services, ${info.models} models); ` +
      `${started.toISOString().slice(0, 16)}Z, load average ${loadBefore.toFixed(1)} → ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} CPUs`,
  );
  for (const l of table) log(l);
  if (storage) for (const l of storageLines(storage)) log(l);
  if (worker)
    log(
      `worker on the loaded table: ${fmtInt(worker.rows)}/${fmtInt(worker.n)} captures in ${worker.seconds.toFixed(1)} s from process start = ${fmtInt(worker.rate)} captures/s` +
        `${worker.steadyRate ? ` (${fmtInt(worker.steadyRate)}/s after the first row)` : ""}; rollups ${worker.rollupOk ? "✓" : "✗"}; failed jobs ${worker.failed}`,
    );
  if (worker?.lastLines.length) log(`worker's last lines:\n  ${worker.lastLines.join("\n  ")}`);
  log(
    `load: ${info.reused ? "reused; it took" : "took"} ${info.seconds} s (COPY ${info.copy_s} s at ${fmtInt(info.copy_rows_per_s)} rows/s in ${info.streams} streams, rollups ${info.rollups_s} s, vacuum+analyze ${info.vacuum_analyze_s} s)`,
  );
  const failed = results.filter((r) => !r.ok).length;
  log(`${results.length - failed}/${results.length} goals met${failed ? `; ${failed} not` : ""}`);
  log("─".repeat(100));
}

main().catch(async (error) => {
  console.error(`\n✖ ${error.stack ?? error.message}`);
  await stopAllChildren();
  process.exit(1);
});
