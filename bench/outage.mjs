// Phase "outage": does the journal's replay keep up? Steady load through proxy + worker on a private, durable
// redis-server (never the shared one); Redis is stopped for BENCH_OUTAGE_S, then restarted, load still running.
// Measures how long after the restart every call answered so far has its row, against the outage's length.
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { BIN, REQUEST_BODY } from "./lib/context.mjs";
import { fmtInt, log } from "./lib/format.mjs";
import { spawnChild, stopChild } from "./lib/proc.mjs";
import { steadyLoad } from "./lib/steady-load.mjs";

export const name = "outage";

const freePort = () =>
  new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });

const portOpen = (port) =>
  new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1");
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });

async function waitPort(port, up, ms = 10_000) {
  const until = Date.now() + ms;
  while ((await portOpen(port)) !== up) {
    if (Date.now() > until) throw new Error(`redis on ${port} did not go ${up ? "up" : "down"}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A durable redis-server of the bench's own (AOF, everysec) that can be stopped and started. */
async function privateRedis(tmpDir) {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(tmpDir ?? os.tmpdir(), "redis-"));
  let record = null;
  const start = async () => {
    record = spawnChild("redis", "redis-server", [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--dir",
      dir,
      "--save",
      "",
      "--appendonly",
      "yes",
      "--appendfsync",
      "everysec",
    ]);
    await waitPort(port, true);
  };
  const stop = async () => {
    if (!record) return;
    await stopChild(record, "SIGTERM");
    record = null;
    await waitPort(port, false);
  };
  await start();
  return { url: `redis://127.0.0.1:${port}`, start, stop, pid: () => record?.pid };
}

async function rowsFor(pg, ids) {
  const { rows } = await pg.query("SELECT count(*) AS n FROM usage_logs WHERE request_id = ANY($1::uuid[])", [
    ids,
  ]);
  return Number(rows[0].n);
}

/** Runs the outage measurement; returns the figures printed in the summary. */
export async function run(ctx) {
  const { cfg, pg, slug, headers, tmpDir } = ctx;
  log(
    `  ${cfg.outageS} s under ≈ ${cfg.outageRate} calls/s (${cfg.outageClients} clients), proxy + worker, private durable Redis`,
  );
  const redis = await privateRedis(tmpDir);
  const env = ctx.appEnv(ctx.prefix("outage"), {
    REDIS_URL: redis.url,
    JOURNAL_DIR: path.join(tmpDir, "journal-outage"),
    PROXY_PORT: "0",
    WORKER_PORT: "0",
  });
  const proxy = await ctx.startNode("proxy", BIN.proxy, [], env);
  const worker = await ctx.startNode("worker", BIN.worker, [], env);
  const load = steadyLoad(
    `${proxy.url}/${slug}/bench`,
    headers,
    REQUEST_BODY,
    cfg.outageClients,
    cfg.outageRate,
  );
  const health = async () => (await fetch(`${proxy.url}/healthz`)).json();
  try {
    await new Promise((r) => setTimeout(r, 5000));
    const before = load.answered.length;
    log(`  before the outage: ${(before / 5).toFixed(0)} calls/s answered`);
    const tStop = performance.now();
    await redis.stop();
    let peak = { journal_unacked_captures: 0, journal_bytes: 0 };
    while (performance.now() - tStop < cfg.outageS * 1000) {
      await new Promise((r) => setTimeout(r, 500));
      const h = await health();
      if (h.journal_unacked_captures > peak.journal_unacked_captures) peak = h;
    }
    const during = load.answered.length - before;
    await redis.start();
    const tStart = performance.now();
    const backlog = load.answered.slice();
    let drainS = null;
    while (performance.now() - tStart < Math.max(120_000, cfg.outageS * 4000)) {
      const got = await rowsFor(pg, backlog);
      if (process.env.BENCH_OUTAGE_TRACE) {
        const h = await health().catch(() => ({}));
        log(
          `    +${((performance.now() - tStart) / 1000).toFixed(1)} s rows ${got}/${backlog.length} proxy redis ${h.redis} unacked ${h.journal_unacked_captures}`,
        );
      }
      if (got >= backlog.length) {
        drainS = (performance.now() - tStart) / 1000;
        break;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    const afterRate = (load.answered.length - backlog.length) / ((performance.now() - tStart) / 1000);
    await load.stop();
    const all = load.answered.slice();
    let rows = await rowsFor(pg, all);
    const tFinal = performance.now();
    while (rows < all.length && performance.now() - tFinal < 30_000) {
      await new Promise((r) => setTimeout(r, 250));
      rows = await rowsFor(pg, all);
    }
    const r = {
      outageS: cfg.outageS,
      rate: cfg.outageRate,
      answeredDuring: during,
      achievedRate: during / cfg.outageS,
      backlog: backlog.length,
      peakUnacked: peak.journal_unacked_captures,
      peakBytes: peak.journal_bytes,
      drainS,
      answered: all.length,
      rows,
      missing: all.length - rows,
      errors: load.errors,
      beforeRate: before / 5,
      afterRate,
    };
    log(
      `  ${r.answeredDuring} calls answered during the ${r.outageS} s outage (${r.achievedRate.toFixed(0)}/s); journal peak ` +
        `${r.peakUnacked} unrecorded captures, ${(r.peakBytes / 1048576).toFixed(1)} MiB; ${r.afterRate.toFixed(0)} calls/s while draining`,
    );
    log(
      `  after the restart: ${r.drainS === null ? "NOT drained" : `every call answered so far recorded in ${r.drainS.toFixed(1)} s`}` +
        ` (${r.drainS !== null && r.drainS < r.outageS ? "< outage ✓" : "✗ slower than the outage"}); ` +
        `total ${r.answered} answered, ${r.rows} rows, ${r.missing} missing, ${r.errors} failed calls`,
    );
    return r;
  } finally {
    await load.stop();
    await stopChild(worker.record);
    await stopChild(proxy.record);
    await redis.stop();
  }
}

export function summary(o) {
  return {
    lines: [
      `Redis outage ${o.outageS} s at ${o.achievedRate.toFixed(0)} calls/s: journal peak ${fmtInt(o.peakUnacked)} captures; ` +
        `backlog recorded ${o.drainS === null ? "NOT within the timeout" : `${o.drainS.toFixed(1)} s after the restart`} ` +
        `(${o.drainS !== null && o.drainS < o.outageS ? "faster than the outage ✓" : "✗"}); ${o.missing} of ${fmtInt(o.answered)} answered calls missing`,
    ],
    goals: [
      {
        figure: "Redis outage: backlog recorded after the restart",
        value: o.drainS === null ? "not drained" : `${o.drainS.toFixed(1)} s, ${o.missing} missing`,
        goal: `< ${o.outageS} s, 0 missing`,
        ok: o.drainS !== null && o.drainS < o.outageS && o.missing === 0,
      },
    ],
  };
}
