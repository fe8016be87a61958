#!/usr/bin/env node
// Loads a scale-bench database: N usage_logs rows over D days streamed with COPY FROM STDIN, the marketplace
// they belong to, and rollups consistent with them. CLI (prints one JSON line) and importable (`loadScale`).
//
//   node bench/scale/load.mjs --database-url postgresql://postgres@127.0.0.1:5432/tokenmeter_bench_scale \
//     --rows 10000000 [--days 90] [--buyers 1000] [--services 50] [--models 30] [--streams 2]
//
// It EMPTIES the usage tables of that database (and replaces its own earlier fixtures), so it refuses a database whose
// name does not contain "bench" and servers that are not on loopback. Needs the build (`@tokenmeter/db`).
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { parseArgs } from "node:util";
import pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { modelCatalog, zipfCdf, zipfExponent } from "./catalog.mjs";
import { createFixtures } from "./fixtures.mjs";
import { COPY_COLUMNS, COPY_HEADER, COPY_TRAILER, encodeRows } from "./rows.mjs";

export const DEFAULT_SCALE_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/tokenmeter_bench_scale";
const DAY_MS = 86_400_000;
const CHUNK_ROWS = 2000;

/** Refuses what the loader must never empty: a server off loopback, a database not named for benches. */
export function checkScaleDatabase(databaseUrl) {
  const url = new URL(databaseUrl);
  const host = url.hostname.replace(/^\[|\]$/g, "");
  if (!["127.0.0.1", "localhost", "::1"].includes(host))
    throw new Error(`the scale bench only loads loopback servers; ${host} is not`);
  const name = decodeURIComponent(url.pathname.slice(1));
  if (!/bench/.test(name))
    throw new Error(`the scale bench empties its database: "${name}" must contain "bench" in its name`);
  return name;
}

/** What the last load wrote, kept as the database's comment (JSON), or null. */
export async function readLoadInfo(client) {
  const { rows } = await client.query(
    "SELECT shobj_description(oid, 'pg_database') AS info FROM pg_database WHERE datname = current_database()",
  );
  try {
    return rows[0]?.info ? JSON.parse(rows[0].info) : null;
  } catch {
    return null;
  }
}

async function connect(databaseUrl) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  return client;
}

/**
 * One binary COPY per stream; stream k writes rows k, k+S, k+2S… so all streams advance through time together.
 * Returns the sums of what was written (cost in 1e-10 USD units, tokens, unpriced rows) to check the table by.
 */
async function copyRows(databaseUrl, world, { rows, streams, seed, onProgress }) {
  let written = 0;
  const sums = { costUnits: 0n, tokens: 0, unpriced: 0 };
  const copyOne = async (k) => {
    const client = await connect(databaseUrl);
    try {
      function* chunks() {
        yield COPY_HEADER;
        for (let base = 0; base < rows; base += CHUNK_ROWS * streams) {
          const to = Math.min(rows, base + CHUNK_ROWS * streams);
          const chunk = encodeRows(world, base + k, to, streams, (seed * 7919 + base * 31 + k) >>> 0);
          sums.costUnits += chunk.costUnits;
          sums.tokens += chunk.tokens;
          sums.unpriced += chunk.unpriced;
          yield chunk.buffer;
          written += Math.ceil((to - base - k) / streams);
          onProgress?.(written);
        }
        yield COPY_TRAILER;
      }
      const sql = `COPY usage_logs (${COPY_COLUMNS.join(", ")}) FROM STDIN (FORMAT binary)`;
      await pipeline(Readable.from(chunks(), { objectMode: false }), client.query(copyFrom(sql)));
    } finally {
      await client.end();
    }
  };
  await Promise.all(Array.from({ length: streams }, (_, k) => copyOne(k)));
  return sums;
}

/** The table must hold exactly what was generated: costs to the last 1e-10, tokens, unpriced rows, UUIDv7 times. */
async function checkRows(client, sums) {
  const { rows } = await client.query(
    `SELECT (coalesce(sum(token_cost), 0) * 10000000000)::numeric(40, 0)::text AS cost,
       coalesce(sum(total_tokens), 0)::bigint AS tokens, count(*) FILTER (WHERE token_cost IS NULL) AS unpriced
     FROM usage_logs`,
  );
  const got = rows[0];
  if (
    got.cost !== sums.costUnits.toString() ||
    Number(got.tokens) !== sums.tokens ||
    Number(got.unpriced) !== sums.unpriced
  )
    throw new Error(
      `the table does not hold what was generated: cost units ${got.cost} vs ${sums.costUnits}, tokens ${got.tokens} vs ${sums.tokens}, unpriced ${got.unpriced} vs ${sums.unpriced}`,
    );
  // A sample: the request id's UUIDv7 timestamp is the row's request_timestamp, to the millisecond.
  const mismatch = await client.query(
    `SELECT count(*) AS n FROM (SELECT request_id, request_timestamp FROM usage_logs TABLESAMPLE SYSTEM (1)) s
     WHERE ('x' || substr(replace(request_id::text, '-', ''), 1, 12))::bit(48)::bigint
       <> (extract(epoch FROM request_timestamp) * 1000)::bigint`,
  );
  if (Number(mismatch.rows[0].n) > 0)
    throw new Error(`${mismatch.rows[0].n} sampled rows have a request id whose time is not their timestamp`);
}

/** Empties the usage tables of an existing database (none yet: nothing to do). */
async function emptyUsageTables(databaseUrl) {
  const client = await connect(databaseUrl).catch((error) => {
    if (error.code === "3D000") return null; // the database does not exist yet
    throw error;
  });
  if (!client) return;
  try {
    const { rows } = await client.query(
      "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND (tablename LIKE 'usage\\_%rollup%' OR tablename IN ('usage_logs', 'usage_captures'))",
    );
    if (rows.length > 0)
      await client.query(`TRUNCATE ${rows.map((r) => `"${r.tablename}"`).join(", ")} RESTART IDENTITY`);
  } finally {
    await client.end();
  }
}

/**
 * When usage_logs is partitioned by month, the partitions of the loaded months (and the next) are created
 * before the COPY with @tokenmeter/db's own function, as the worker's maintenance would have created them.
 */
async function ensurePartitions(client, databaseUrl, startMs, endMs) {
  const { rows } = await client.query("SELECT relkind FROM pg_class WHERE oid = 'usage_logs'::regclass");
  if (rows[0]?.relkind !== "p") return 0;
  const dbModule = await import("@tokenmeter/db");
  if (typeof dbModule.createUsagePartition !== "function") return 0;
  const db = dbModule.createDbClient({ databaseUrl });
  let created = 0;
  try {
    const start = new Date(startMs);
    const end = new Date(endMs);
    for (
      let month = new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), 1));
      month <= new Date(Date.UTC(end.getUTCFullYear(), end.getUTCMonth() + 1, 1));
      month = new Date(Date.UTC(month.getUTCFullYear(), month.getUTCMonth() + 1, 1))
    ) {
      if ((await dbModule.createUsagePartition(db, month)) !== null) created++;
    }
  } finally {
    await db.$disconnect();
  }
  return created;
}

/** Every rollup level recomputed from the rows by @tokenmeter/db's rebuildRollups (as a repair would). */
async function rebuildAllRollups(databaseUrl, range) {
  const { createDbClient, rebuildRollups } = await import("@tokenmeter/db");
  const db = createDbClient({ databaseUrl });
  try {
    const result = await rebuildRollups(db, range, { timeoutMs: 4 * 3_600_000 });
    return result.levels.map((l) => `${l.table} ${l.rows}`).join(", ");
  } finally {
    await db.$disconnect();
  }
}

/**
 * Loads the database and returns what it loaded: { rows, heavy_buyer_id, light_buyer_id, seller_id, … }.
 * Rows are spread evenly over `days` days ending now; buyer popularity is Zipf-like with the heaviest buyer
 * drawing `heavyShare` of the rows.
 */
export async function loadScale(options = {}) {
  const opts = {
    databaseUrl: DEFAULT_SCALE_DATABASE_URL,
    rows: 10_000_000,
    days: 90,
    buyers: 1000,
    services: 50,
    models: 30,
    streams: 2,
    heavyShare: 0.1,
    seed: 1,
    log: (line) => console.error(line),
    ...options,
  };
  for (const k of ["rows", "days", "buyers", "services", "models", "streams"])
    if (!Number.isInteger(opts[k]) || opts[k] < 1) throw new Error(`--${k} must be a positive integer`);
  if (opts.buyers < 2) throw new Error("--buyers must be at least 2 (a heavy and a light buyer)");
  const dbName = checkScaleDatabase(opts.databaseUrl);
  const t0 = performance.now();
  const timings = {};
  const lap = (name, since) => {
    timings[name] = Number(((performance.now() - since) / 1000).toFixed(1));
    return performance.now();
  };
  const { prepareDatabase } = await import("@tokenmeter/db");
  // The old rows go before migrating: a pending migration that rewrites usage_logs then has nothing to copy.
  await emptyUsageTables(opts.databaseUrl);
  const { created } = await prepareDatabase(opts.databaseUrl);
  let t = lap("migrate_s", t0);
  opts.log(`scale load: database ${dbName} ${created ? "created and " : ""}migrated`);

  const endMs = Date.now();
  const startMs = endMs - opts.days * DAY_MS;
  const catalog = modelCatalog(opts.models);
  const client = await connect(opts.databaseUrl);
  try {
    const fixtures = await createFixtures(client, {
      buyers: opts.buyers,
      services: opts.services,
      catalog,
      startMs,
      seed: opts.seed,
    });
    const partitions = await ensurePartitions(client, opts.databaseUrl, startMs, endMs);
    if (partitions > 0) opts.log(`scale load: ${partitions} monthly partitions of usage_logs created`);
    t = lap("fixtures_s", t);
    const world = {
      ...fixtures,
      catalog,
      startMs,
      spanMs: endMs - startMs,
      rows: opts.rows,
      buyerCdf: zipfCdf(opts.buyers, zipfExponent(opts.buyers, opts.heavyShare)),
      serviceCdf: zipfCdf(opts.services, 0.8),
    };

    let nextReport = 0.1;
    const tCopy = performance.now();
    const sums = await copyRows(opts.databaseUrl, world, {
      rows: opts.rows,
      streams: opts.streams,
      seed: opts.seed,
      onProgress: (written) => {
        if (written / opts.rows < nextReport) return;
        nextReport += 0.1;
        const s = (performance.now() - tCopy) / 1000;
        opts.log(
          `scale load: ${written.toLocaleString("en-US")} rows copied in ${s.toFixed(0)} s (${Math.round(written / s).toLocaleString("en-US")} rows/s)`,
        );
      },
    });
    t = lap("copy_s", t);
    await checkRows(client, sums);
    t = lap("check_s", t);

    const range = { from: new Date(startMs), to: new Date(endMs + 1) };
    const rollups = await rebuildAllRollups(opts.databaseUrl, range);
    t = lap("rollups_s", t);
    opts.log(`scale load: rollups rebuilt in ${timings.rollups_s} s: ${rollups}`);

    // Freshly copied pages have no visibility-map bits; autovacuum would set them in production. Without this
    // the first reads would pay for hint bits and index-only scans would visit the heap.
    await client.query("VACUUM (ANALYZE) usage_logs");
    const { rows: levels } = await client.query(
      "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE 'usage\\_%rollup%'",
    );
    for (const { tablename } of levels) await client.query(`VACUUM (ANALYZE) "${tablename}"`);
    t = lap("vacuum_analyze_s", t);
    // The load and the vacuum leave gigabytes of dirty pages, which a spread checkpoint writes out over the
    // next minutes: written now, so what runs next measures the table, not the tail of its own load.
    await client
      .query("CHECKPOINT")
      .catch((error) => opts.log(`scale load: no CHECKPOINT (${error.message})`));
    t = lap("checkpoint_s", t);

    const heavy = fixtures.buyers[0].id;
    const light = fixtures.buyers[fixtures.buyers.length - 1].id;
    const counts = await client.query(
      `SELECT count(*)::bigint AS rows,
         count(*) FILTER (WHERE buyer_user_id = $1)::bigint AS heavy,
         count(*) FILTER (WHERE buyer_user_id = $2)::bigint AS light
       FROM usage_logs`,
      [heavy, light],
    );
    // The bench reads as the seller with the most calls (its services are the most popular).
    const seller = await client.query(
      `SELECT s.seller_id, sum(r.calls)::bigint AS calls FROM usage_daily_rollups r
       JOIN api_services s ON s.id = r.api_service_id GROUP BY 1 ORDER BY 2 DESC LIMIT 1`,
    );
    const seconds = (performance.now() - t0) / 1000;
    const info = {
      rows: Number(counts.rows[0].rows),
      days: opts.days,
      buyers: opts.buyers,
      services: opts.services,
      models: opts.models,
      streams: opts.streams,
      seed: opts.seed,
      heavy_buyer_id: heavy,
      heavy_buyer_rows: Number(counts.rows[0].heavy),
      light_buyer_id: light,
      light_buyer_rows: Number(counts.rows[0].light),
      seller_id: Number(seller.rows[0]?.seller_id ?? fixtures.sellerIds[0]),
      seller_rows: Number(seller.rows[0]?.calls ?? 0),
      from: new Date(startMs).toISOString(),
      to: new Date(endMs).toISOString(),
      seconds: Number(seconds.toFixed(1)),
      copy_rows_per_s: Math.round(opts.rows / timings.copy_s),
      rows_per_s: Math.round(opts.rows / seconds),
      ...timings,
    };
    if (info.rows !== opts.rows) throw new Error(`expected ${opts.rows} rows, found ${info.rows}`);
    const comment = JSON.stringify(info).replaceAll("'", "''");
    await client.query(`COMMENT ON DATABASE "${dbName}" IS '${comment}'`);
    return info;
  } finally {
    await client.end();
  }
}

const isMain = process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isMain) {
  const { values } = parseArgs({
    options: {
      "database-url": {
        type: "string",
        default: process.env.SCALE_DATABASE_URL || DEFAULT_SCALE_DATABASE_URL,
      },
      rows: { type: "string", default: "10000000" },
      days: { type: "string", default: "90" },
      buyers: { type: "string", default: "1000" },
      services: { type: "string", default: "50" },
      models: { type: "string", default: "30" },
      streams: { type: "string", default: "2" },
      seed: { type: "string", default: "1" },
    },
  });
  const int = (name) => {
    const n = Number(values[name].replaceAll("_", ""));
    if (!Number.isInteger(n)) throw new Error(`--${name} must be an integer, got "${values[name]}"`);
    return n;
  };
  try {
    const info = await loadScale({
      databaseUrl: values["database-url"],
      rows: int("rows"),
      days: int("days"),
      buyers: int("buyers"),
      services: int("services"),
      models: int("models"),
      streams: int("streams"),
      seed: int("seed"),
    });
    console.log(JSON.stringify(info));
  } catch (error) {
    console.error(`scale load failed: ${error.message}`);
    process.exitCode = 1;
  }
}
