import { randomUUID } from "node:crypto";
import { Decimal } from "decimal.js";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import {
  applyLedgerCorrections,
  createDbClient,
  type DbClient,
  ROLLUP_LEVELS,
  type RollupLevel,
  readLedgerRows,
  rebuildRollups,
  recordUsage,
  type UsageRow,
} from "../src/index.js";

let db: DbClient;
let buyerIds: number[] = [];
// A service id of its own: every level (the all-buyer ones too) is compared on this service's rows only (the
// buyer-only levels on this test's own buyers).
const serviceId = 700_000 + Math.floor(Math.random() * 90_000);

// A small deterministic generator, so a failure can be replayed.
function random(seed: number) {
  let s = seed;
  return () => {
    s = (s * 1_103_515_245 + 12_345) % 2 ** 31;
    return s / 2 ** 31;
  };
}

/** Rows over two month boundaries, three keys, three models (one unknown), errors, unpriced and 1-hour writes. */
function rows(count: number, seed: number): UsageRow[] {
  const next = random(seed);
  const start = Date.parse("2031-01-30T20:00:00Z");
  const span = Date.parse("2031-03-01T06:00:00Z") - start;
  return Array.from({ length: count }, () => {
    const unpriced = next() < 0.1;
    const input = Math.floor(next() * 5000);
    const output = Math.floor(next() * 800);
    const cacheWrite = next() < 0.2 ? Math.floor(next() * 100) : 0;
    return {
      requestId: randomUUID(),
      buyerUserId: BigInt(buyerIds[Math.floor(next() * buyerIds.length)] as number),
      apiKeyId: BigInt(1 + Math.floor(next() * 3)),
      apiServiceId: BigInt(serviceId),
      requestTimestamp: new Date(start + Math.floor(next() * span)),
      httpMethod: "POST",
      path: "/v1/chat/completions",
      statusCode: next() < 0.1 ? 500 : 200,
      latencyMs: 10,
      ttfbMs: 5,
      streamed: false,
      upstreamReached: next() > 0.05,
      errorCode: null,
      modelName: ["model-a", "model-b", null][Math.floor(next() * 3)] as string | null,
      inputTokens: input,
      outputTokens: output,
      totalTokens: input + output,
      cachedInputTokens: Math.floor(input / 3),
      cacheWriteTokens: cacheWrite,
      cacheWrite1hTokens: Math.floor(cacheWrite / 2),
      reasoningTokens: Math.floor(output / 4),
      tokenCost: unpriced
        ? null
        : new Decimal(input).mul("0.0000003").plus(new Decimal(output).mul("0.0000012")).toFixed(),
      modelPriceId: unpriced ? null : 1n,
      usageSource: "reported",
      parser: "openai-chat",
      parseError: null,
      requestSizeBytes: 100 + Math.floor(next() * 1000),
      responseSizeBytes: 200 + Math.floor(next() * 5000),
      upstreamRequestId: null,
    };
  });
}

function grainKey(level: RollupLevel, t: Date): string {
  const iso = t.toISOString();
  if (level.grain === "hour") return `${iso.slice(0, 10)} ${iso.slice(11, 13)}`;
  return level.grain === "day" ? iso.slice(0, 10) : `${iso.slice(0, 7)}-01`;
}

type Stored = Pick<
  UsageRow,
  | "buyerUserId"
  | "apiKeyId"
  | "apiServiceId"
  | "modelName"
  | "requestTimestamp"
  | "statusCode"
  | "upstreamReached"
  | "inputTokens"
  | "outputTokens"
  | "totalTokens"
  | "cachedInputTokens"
  | "cacheWriteTokens"
  | "cacheWrite1hTokens"
  | "reasoningTokens"
  | "tokenCost"
  | "requestSizeBytes"
  | "responseSizeBytes"
>;

/** A level's expected rows, summed in JavaScript from the rows themselves (not by the SQL under test). */
function expected(level: RollupLevel, source: readonly Stored[]): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, Decimal>> = {};
  for (const r of source) {
    const dims: Record<string, string> = {
      buyer_user_id: String(r.buyerUserId),
      api_key_id: String(r.apiKeyId),
      api_service_id: String(r.apiServiceId),
      model_name: r.modelName ?? "",
    };
    const key = [...level.dimensions.map((d) => dims[d]), grainKey(level, r.requestTimestamp)].join("|");
    const add: Record<string, Decimal.Value> = {
      calls: 1,
      error_calls: r.statusCode >= 400 || !r.upstreamReached ? 1 : 0,
      unpriced_calls: r.tokenCost === null ? 1 : 0,
      input_tokens: r.inputTokens,
      output_tokens: r.outputTokens,
      total_tokens: r.totalTokens,
      cached_input_tokens: r.cachedInputTokens,
      cache_write_tokens: r.cacheWriteTokens,
      cache_write_1h_tokens: r.cacheWrite1hTokens,
      reasoning_tokens: r.reasoningTokens,
      token_cost: r.tokenCost ?? 0,
      request_bytes: r.requestSizeBytes,
      response_bytes: r.responseSizeBytes,
    };
    out[key] ??= {};
    const sums = out[key];
    for (const [m, v] of Object.entries(add)) {
      if (m === "cache_write_1h_tokens" && !level.oneHourColumn) continue;
      sums[m] = (sums[m] ?? new Decimal(0)).plus(v);
    }
  }
  return Object.fromEntries(
    Object.entries(out).map(([k, sums]) => [
      k,
      Object.fromEntries(Object.entries(sums).map(([m, v]) => [m, v.toFixed()])),
    ]),
  );
}

/**
 * This test's rows of a level ($1 the service, $2 the buyers): the service's, or for the buyer-only levels (no
 * service) the test's own buyers' — their rows are all on serviceId.
 */
function mine(level: RollupLevel): string {
  return level.dimensions.includes("api_service_id")
    ? "api_service_id = $1 AND $2::bigint[] IS NOT NULL"
    : "$1::bigint IS NOT NULL AND buyer_user_id = ANY($2::bigint[])";
}

/** A level's stored rows for the test's service, keyed like `expected`. */
async function stored(level: RollupLevel): Promise<Record<string, Record<string, string>>> {
  const time =
    level.grain === "hour"
      ? `to_char(hour AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24')`
      : `to_char(${level.grain}, 'YYYY-MM-DD')`;
  const measures = [
    "calls",
    "error_calls",
    "unpriced_calls",
    "input_tokens",
    "output_tokens",
    "total_tokens",
    "cached_input_tokens",
    "cache_write_tokens",
    ...(level.oneHourColumn ? ["cache_write_1h_tokens"] : []),
    "reasoning_tokens",
    "token_cost",
    "request_bytes",
    "response_bytes",
  ];
  const rows = await db.$queryRawUnsafe<Array<Record<string, string>>>(
    `SELECT concat_ws('|', ${[...level.dimensions, time].join(", ")}) AS k,
      ${measures.map((m) => `${m}::text AS ${m}`).join(", ")}
     FROM ${level.table} WHERE ${mine(level)}`,
    serviceId,
    buyerIds,
  );
  return Object.fromEntries(
    rows.map(({ k, ...sums }) => [
      k as string,
      Object.fromEntries(Object.entries(sums).map(([m, v]) => [m, new Decimal(v).toFixed()])),
    ]),
  );
}

async function storedRows(): Promise<Stored[]> {
  const all = await db.usageLog.findMany({ where: { apiServiceId: BigInt(serviceId) } });
  return all.map((r) => ({
    ...r,
    tokenCost: r.tokenCost === null ? null : r.tokenCost.toFixed(),
    requestSizeBytes: Number(r.requestSizeBytes),
    responseSizeBytes: Number(r.responseSizeBytes),
  }));
}

async function expectEveryLevelExact(): Promise<void> {
  const source = await storedRows();
  for (const level of ROLLUP_LEVELS) {
    expect({ level: level.table, rows: await stored(level) }).toEqual({
      level: level.table,
      rows: expected(level, source),
    });
  }
}

beforeAll(async () => {
  db = createDbClient({ databaseUrl: inject("databaseUrl") });
  for (const name of ["levels-a", "levels-b", "levels-c"]) {
    buyerIds.push(Number((await db.buyer.create({ data: { name } })).id));
  }
  buyerIds = buyerIds.sort((a, b) => a - b);
});
afterAll(async () => {
  await db.$disconnect();
});

describe("rollup levels", () => {
  it("every level equals the sums of the rows recorded, replays included, after reprice and remeter", async () => {
    const batch = rows(400, 7);
    for (let i = 0; i < batch.length; i += 97) await recordUsage(db, batch.slice(i, i + 97));
    // A replayed batch adds nothing to any level.
    expect((await recordUsage(db, batch.slice(0, 50))).inserted).toBe(0);
    await expectEveryLevelExact();

    // Reprice some rows, price unpriced ones, and move others to another model (remeter): every level moves.
    const ids = batch.slice(0, 120).map((r) => r.requestId);
    await db.$transaction(async (tx) => {
      const before = await readLedgerRows(tx, ids, { forUpdate: true });
      const corrections = before.map((row, i) => ({
        before: row,
        after: {
          ...row,
          tokenCost: i % 3 === 0 ? null : new Decimal(row.tokenCost ?? "0.5").plus("0.0000000001").toFixed(),
          modelName: i % 4 === 0 ? "model-c" : i % 5 === 0 ? null : row.modelName,
          totalTokens: row.totalTokens + (i % 2),
        },
      }));
      expect(await applyLedgerCorrections(tx, corrections)).toBeGreaterThan(100);
    });
    await expectEveryLevelExact();
  });

  it("rebuildRollups recomputes every level to exactly what the ingest statement wrote", async () => {
    const written: Record<string, Record<string, Record<string, string>>> = {};
    for (const level of ROLLUP_LEVELS) written[level.table] = await stored(level);
    expect(Object.keys(written.usage_service_monthly_rollups ?? {}).length).toBeGreaterThan(0);
    // Damage every level: wrong counts, a missing row, a stray row.
    for (const level of ROLLUP_LEVELS) {
      await db.$executeRawUnsafe(
        `UPDATE ${level.table} SET calls = calls + 7 WHERE ${mine(level)}`,
        serviceId,
        buyerIds,
      );
      await db.$executeRawUnsafe(
        `DELETE FROM ${level.table} WHERE ctid = (SELECT ctid FROM ${level.table} WHERE ${mine(level)} LIMIT 1)`,
        serviceId,
        buyerIds,
      );
    }
    await db.$executeRawUnsafe(
      `INSERT INTO usage_service_daily_rollups (api_service_id, model_name, day, calls) VALUES ($1, 'ghost', '2031-02-10', 3)`,
      serviceId,
    );
    // A range inside the data: each level is widened to the whole hours, days and months it touches.
    const result = await rebuildRollups(db, {
      from: new Date("2031-01-30T20:00:00Z"),
      to: new Date("2031-03-01T06:00:00Z"),
    });
    const monthly = result.levels.find((l) => l.table === "usage_service_monthly_rollups");
    expect(monthly?.from.toISOString()).toBe("2031-01-01T00:00:00.000Z");
    expect(monthly?.to.toISOString()).toBe("2031-04-01T00:00:00.000Z");
    for (const level of ROLLUP_LEVELS) {
      expect({ level: level.table, rows: await stored(level) }).toEqual({
        level: level.table,
        rows: written[level.table],
      });
    }
  });

  it("rebuildRollups leaves the units outside its range alone", async () => {
    await db.$executeRawUnsafe(
      `UPDATE usage_service_hourly_rollups SET calls = calls + 1 WHERE api_service_id = $1 AND hour < '2031-02-01'`,
      serviceId,
    );
    await rebuildRollups(db, {
      from: new Date("2031-02-01T00:00:00Z"),
      to: new Date("2031-02-02T00:00:00Z"),
    });
    const source = await storedRows();
    const hourly = ROLLUP_LEVELS.find((l) => l.table === "usage_service_hourly_rollups") as RollupLevel;
    const want = expected(hourly, source);
    const got = await stored(hourly);
    const january = Object.keys(want).filter((k) => k.includes("2031-01-"));
    expect(january.length).toBeGreaterThan(0);
    for (const k of january) expect(Number(got[k]?.calls)).toBe(Number(want[k]?.calls) + 1);
    // Repair it again so later readers see exact rollups.
    await rebuildRollups(db, {
      from: new Date("2031-01-30T00:00:00Z"),
      to: new Date("2031-02-01T00:00:00Z"),
    });
    await expectEveryLevelExact();
  });
});
