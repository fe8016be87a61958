// Phase "lag": metering lag at a steady rate (default 1,000 calls/s) through proxy + worker: for every answered
// call, the time from the end of its response (seen by the client) to its usage row being committed.
//
// How "committed" is observed: a second session polls usage_logs every POLL_MS for rows it has not seen yet. A row
// is visible to another session only once its transaction has committed, and a query sees what was committed
// before its snapshot (taken when it starts). So a row first returned by the poll started at time T committed
// after the previous poll's start and before T: T − response end is the lag, over-stated by at most one poll
// interval. created_at (the row's now(), the start of the INSERT's transaction, same machine clock) gives a lower
// bound; both are printed.

import { REQUEST_BODY } from "./lib/context.mjs";
import { fmtInt, fmtMs, log, percentile } from "./lib/format.mjs";
import { epochMs, steadyLoad } from "./lib/steady-load.mjs";

export const name = "lag";

const POLL_MS = 25;
const WARMUP_S = 2;

export async function run(ctx) {
  const { cfg } = ctx;
  const prefix = ctx.prefix("lag");
  const proxy = await ctx.startProxy(prefix);
  const worker = await ctx.startWorker(prefix);
  const target = `${proxy.url}/${ctx.slug}/bench`;
  await ctx.sanityCheck("tokenmeter proxy (lag)", target);
  const clients = Math.max(8, Math.min(128, Math.round(cfg.lagRate / 20)));
  log(
    `  ${cfg.lagRate} calls/s offered by ${clients} clients for ${cfg.lagS} s (+ ${WARMUP_S} s not counted), proxy + worker; rows polled every ${POLL_MS} ms`,
  );

  const seen = new Map(); // request id → { visibleAt, createdAt } (epoch ms)
  let cursor = 0n;
  let polling = true;
  const poll = async () => {
    while (polling) {
      const started = epochMs();
      // Ids are taken in insert order; a margin below the highest seen covers a batch committing out of order.
      const { rows } = await ctx.pg.query(
        "SELECT id, request_id, extract(epoch FROM created_at) * 1000 AS created FROM usage_logs " +
          "WHERE api_service_id = $1 AND id > $2 ORDER BY id",
        [ctx.ids.serviceId, String(cursor > 5000n ? cursor - 5000n : 0n)],
      );
      for (const row of rows) {
        if (!seen.has(row.request_id))
          seen.set(row.request_id, { visibleAt: started, createdAt: Number(row.created) });
        const id = BigInt(row.id);
        if (id > cursor) cursor = id;
      }
      const wait = POLL_MS - (epochMs() - started);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  };
  const poller = poll();

  const load = steadyLoad(target, ctx.headers, REQUEST_BODY, clients, cfg.lagRate);
  const tStart = epochMs();
  await new Promise((r) => setTimeout(r, (WARMUP_S + cfg.lagS) * 1000));
  await load.stop();
  const tEnd = epochMs();
  const counted = [];
  for (let i = 0; i < load.answered.length; i++)
    if (load.ends[i] >= tStart + WARMUP_S * 1000) counted.push(i);
  // Every counted call's row must show up; give the backlog (if any) up to 30 s.
  const deadline = epochMs() + 30_000;
  while (epochMs() < deadline && counted.some((i) => !seen.has(load.answered[i])))
    await new Promise((r) => setTimeout(r, 100));
  polling = false;
  await poller;
  await ctx.stopChild(worker.record);
  await ctx.stopChild(proxy.record);

  const visible = [];
  const created = [];
  let missing = 0;
  for (const i of counted) {
    const s = seen.get(load.answered[i]);
    if (!s) {
      missing += 1;
      continue;
    }
    visible.push(s.visibleAt - load.ends[i]);
    created.push(s.createdAt - load.ends[i]);
  }
  const r = {
    rate: cfg.lagRate,
    achievedRate: counted.length / ((tEnd - tStart) / 1000 - WARMUP_S),
    calls: counted.length,
    missing,
    errors: load.errors,
    visible: { p50: percentile(visible, 50), p99: percentile(visible, 99), max: percentile(visible, 100) },
    created: { p50: percentile(created, 50), p99: percentile(created, 99) },
  };
  log(
    `  ${fmtInt(r.calls)} calls at ${r.achievedRate.toFixed(0)}/s: lag to commit p50 ${fmtMs(r.visible.p50 ?? Number.NaN)}, ` +
      `p99 ${fmtMs(r.visible.p99 ?? Number.NaN)}, max ${fmtMs(r.visible.max ?? Number.NaN)} ` +
      `(created_at: p50 ${fmtMs(r.created.p50 ?? Number.NaN)}, p99 ${fmtMs(r.created.p99 ?? Number.NaN)}); ` +
      `${missing} rows missing, ${r.errors} failed calls`,
  );
  await ctx.dropQueue({ close: async () => undefined }, prefix);
  return r;
}

export function summary(r) {
  return {
    lines: [
      `metering lag at ${r.achievedRate.toFixed(0)} calls/s (${fmtInt(r.calls)} calls): response end → row committed p50 ` +
        `${fmtMs(r.visible.p50 ?? Number.NaN)}, p99 ${fmtMs(r.visible.p99 ?? Number.NaN)} (created_at p99 ${fmtMs(r.created.p99 ?? Number.NaN)}); ${r.missing} missing`,
    ],
    goals: [
      {
        figure: `metering lag p99 at ${r.rate} calls/s offered (${r.achievedRate.toFixed(0)} answered)`,
        value: r.visible.p99 === null ? "-" : `${(r.visible.p99 / 1000).toFixed(2)} s`,
        goal: "≤ 2 s",
        ok: r.visible.p99 !== null && r.visible.p99 <= 2000 && r.missing === 0,
      },
    ],
  };
}
