// The worker's captures/s on the loaded table: signed capture batches are prefilled into a fresh queue exactly as
// `npm run bench` does (bench/lib/captures.mjs), then the built worker starts against the scale database and the
// bench counts the new rows. Its rows and rollups are removed afterwards, so the loaded database stays as loaded.
import { prefillCaptures } from "../lib/captures.mjs";
import { cpuMeter, spawnChild, stopChild, waitForPort } from "../lib/proc.mjs";
import { captureQueue, removeQueues } from "../lib/setup.mjs";

/**
 * Runs the worker on `n` captures for a service of its own. `env` is the worker's environment (database, Redis,
 * queue prefix, signing key). Returns { n, rows, seconds, rate, steadyRate, firstRowS, failed, rollupOk, cpu }.
 */
export async function measureWorker({
  pg,
  workerBin,
  cwd,
  env,
  redisUrl,
  prefix,
  signingKey,
  buyer,
  sellerId,
  n,
  timeoutS,
  tag,
}) {
  const slug = `scale-worker-${tag}`;
  const service = Number(
    (
      await pg.query(
        "INSERT INTO api_services (seller_id, name, slug, upstream_url) VALUES ($1, $2, $3, 'http://127.0.0.1:9') RETURNING id",
        [sellerId, `scale bench worker ${tag}`, slug],
      )
    ).rows[0].id,
  );
  const baseId = (await pg.query("SELECT coalesce(max(id), 0)::text AS max FROM usage_logs")).rows[0].max;
  const queue = captureQueue(redisUrl, prefix);
  let worker;
  const t0 = new Date();
  try {
    const ids = { buyerId: buyer.id, keyId: buyer.keyId, serviceId: service, slug };
    const fill = await prefillCaptures(queue.queue, n, ids, signingKey);
    // Counted by id above the table's highest before the run: an index range, cheap at any table size.
    const countRows = async () =>
      Number(
        (
          await pg.query("SELECT count(*) FROM usage_logs WHERE id > $1 AND api_service_id = $2", [
            baseId,
            service,
          ])
        ).rows[0].count,
      );
    const tStart = performance.now();
    worker = spawnChild("worker", process.execPath, [workerBin], { cwd, env: { ...process.env, ...env } });
    const stopCpu = cpuMeter([worker.pid]);
    waitForPort(worker).catch(() => undefined);
    let rows = 0;
    let firstRowS = null;
    const deadline = tStart + timeoutS * 1000;
    while (rows < n && performance.now() < deadline) {
      if (worker.child.exitCode !== null) throw new Error(`worker exited:\n${worker.lines.join("\n")}`);
      await new Promise((r) => setTimeout(r, 50));
      rows = await countRows();
      if (rows > 0 && firstRowS === null) firstRowS = (performance.now() - tStart) / 1000;
    }
    const seconds = (performance.now() - tStart) / 1000;
    const [cpu] = stopCpu();
    // When rows are missing, the worker's last lines usually say why.
    const lastLines = rows < n ? worker.lines.slice(-10) : [];
    await stopChild(worker);
    const rollup = (
      await pg.query(
        "SELECT coalesce(sum(calls), 0)::bigint AS calls, coalesce(sum(total_tokens), 0)::bigint AS tokens FROM usage_daily_rollups WHERE api_service_id = $1",
        [service],
      )
    ).rows[0];
    const failed = (await queue.queue.getJobCounts("failed")).failed ?? 0;
    return {
      n,
      rows,
      seconds,
      firstRowS,
      rate: rows / seconds,
      // Too short a window after the first row (a few polls) gives no meaningful rate.
      steadyRate: firstRowS !== null && seconds - firstRowS >= 1 ? rows / (seconds - firstRowS) : null,
      failed,
      rollupOk: Number(rollup.calls) === n && Number(rollup.tokens) === fill.totalTokens,
      cpu,
      lastLines,
    };
  } finally {
    if (worker) await stopChild(worker);
    await queue.close();
    await removeQueues(redisUrl, [prefix]).catch(() => undefined);
    await removeWorkerRows(pg, service, t0);
  }
}

/** Deletes the worker run's rows, captures, rollups (every level that has the service) and service. */
async function removeWorkerRows(pg, service, since) {
  await pg.query("DELETE FROM usage_logs WHERE api_service_id = $1 AND request_timestamp >= $2", [
    service,
    new Date(since.getTime() - 3_600_000),
  ]);
  await pg.query("DELETE FROM usage_captures WHERE api_service_id = $1", [service]);
  const { rows } = await pg.query(
    `SELECT t.tablename FROM pg_tables t
     WHERE t.schemaname = 'public' AND t.tablename LIKE 'usage\\_%rollup%'
       AND EXISTS (SELECT 1 FROM information_schema.columns c
                   WHERE c.table_name = t.tablename AND c.column_name = 'api_service_id')`,
  );
  for (const { tablename } of rows)
    await pg.query(`DELETE FROM "${tablename}" WHERE api_service_id = $1`, [service]);
  await pg.query("DELETE FROM api_services WHERE id = $1", [service]);
}
