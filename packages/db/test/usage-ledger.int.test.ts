import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import {
  createDbClient,
  createPgPool,
  type DbClient,
  type PgPool,
  recordUsage,
  type UsageRow,
} from "../src/index.js";

let db: DbClient;
let pool: PgPool;
let buyerId: number;
const serviceId = 900_000 + Math.floor(Math.random() * 90_000);

function row(overrides: Partial<UsageRow> = {}): UsageRow {
  return {
    requestId: randomUUID(),
    buyerUserId: BigInt(buyerId),
    apiKeyId: 1n,
    apiServiceId: BigInt(serviceId),
    requestTimestamp: new Date("2026-03-15T10:00:00Z"),
    httpMethod: "POST",
    path: "/v1/chat/completions",
    statusCode: 200,
    latencyMs: 12,
    ttfbMs: 5,
    streamed: false,
    upstreamReached: true,
    errorCode: null,
    modelName: "claude-3-haiku",
    inputTokens: 1,
    outputTokens: 0,
    totalTokens: 1,
    cachedInputTokens: 0,
    cacheWriteTokens: 0,
    cacheWrite1hTokens: 0,
    reasoningTokens: 0,
    tokenCost: "0.00000025",
    modelPriceId: 1n,
    usageSource: "reported",
    parser: "anthropic-messages",
    parseError: null,
    requestSizeBytes: 100,
    responseSizeBytes: 200,
    upstreamRequestId: "req_abc",
    ...overrides,
  };
}

beforeAll(async () => {
  db = createDbClient({ databaseUrl: inject("databaseUrl") });
  pool = createPgPool({ databaseUrl: inject("databaseUrl"), poolMax: 2 });
  const buyer = await db.buyer.create({ data: { name: "ledger-test" } });
  buyerId = Number(buyer.id);
});
afterAll(async () => {
  await pool.end();
  await db.$disconnect();
});

describe("recordUsage", () => {
  it("writes one row per request id even when the same capture is recorded again", async () => {
    const r = row();
    expect(await recordUsage(db, [r])).toEqual({ inserted: 1, duplicates: 0 });
    expect(await recordUsage(db, [r, r])).toEqual({ inserted: 0, duplicates: 2 });
    const count = await db.usageLog.count({ where: { requestId: r.requestId } });
    expect(count).toBe(1);
  });

  it("keeps a one-token claude-3-haiku cost exactly and sums rollups exactly", async () => {
    const day = new Date("2026-04-02T23:59:59.999Z");
    const rows = [
      row({ requestTimestamp: day }),
      row({ requestTimestamp: day, tokenCost: "0.0000005", inputTokens: 2, totalTokens: 2 }),
      row({ requestTimestamp: day, statusCode: 500, tokenCost: "0", inputTokens: 0, totalTokens: 0 }),
      row({
        requestTimestamp: day,
        modelPriceId: null,
        tokenCost: null,
        modelName: "mystery",
        totalTokens: 9,
      }),
    ];
    expect((await recordUsage(db, rows)).inserted).toBe(4);
    const stored = await db.usageLog.findFirst({ where: { requestId: rows[0]!.requestId } });
    expect(stored?.tokenCost?.toString()).toBe("2.5e-7");
    expect(stored?.tokenCost?.toFixed(10)).toBe("0.0000002500");
    const rollups = await db.usageDailyRollup.findMany({
      where: { buyerUserId: buyerId, apiServiceId: serviceId, day: new Date("2026-04-02") },
      orderBy: { modelName: "asc" },
    });
    expect(rollups.map((r) => r.modelName)).toEqual(["claude-3-haiku", "mystery"]);
    const haiku = rollups[0]!;
    expect(haiku.calls).toBe(3n);
    expect(haiku.errorCalls).toBe(1n);
    expect(haiku.tokenCost.toFixed(10)).toBe("0.0000007500");
    expect(haiku.totalTokens).toBe(3n);
    expect(rollups[1]!.unpricedCalls).toBe(1n);
    // An unpriced row adds nothing to the cost: NULL, not 0, and the rollup's sum stays a number.
    expect(rollups[1]!.tokenCost.toFixed(10)).toBe("0.0000000000");
    const mystery = await db.usageLog.findFirst({ where: { requestId: rows[3]!.requestId } });
    expect(mystery?.tokenCost).toBeNull();
  });

  it("counts a priced-at-zero row as priced, and sums the one-hour cache writes", async () => {
    const day = new Date("2026-04-03T12:00:00Z");
    const free = row({ requestTimestamp: day, modelName: "free-model", tokenCost: "0", totalTokens: 5 });
    const cached = row({
      requestTimestamp: day,
      modelName: "free-model",
      tokenCost: "0",
      inputTokens: 30,
      totalTokens: 30,
      cacheWriteTokens: 20,
      cacheWrite1hTokens: 15,
    });
    await recordUsage(db, [free, cached]);
    const rollup = await db.usageDailyRollup.findFirst({
      where: { buyerUserId: buyerId, apiServiceId: serviceId, day: new Date("2026-04-03") },
    });
    expect(rollup?.unpricedCalls).toBe(0n);
    expect(rollup?.cacheWriteTokens).toBe(20n);
    expect(rollup?.cacheWrite1hTokens).toBe(15n);
    const stored = await db.usageLog.findFirst({ where: { requestId: cached.requestId } });
    expect(stored?.cacheWrite1hTokens).toBe(15);
  });

  it("keeps the capture of a row that asked for it, in the same statement, and only for new rows", async () => {
    const kept = row({ usageSource: "none", retainedCapture: Buffer.from([0x1f, 0x8b, 0, 1, 2, 255]) });
    const plain = row();
    expect((await recordUsage(db, [kept, plain])).inserted).toBe(2);
    const stored = await db.usageCapture.findMany({
      where: { requestId: { in: [kept.requestId, plain.requestId] } },
    });
    expect(stored).toHaveLength(1);
    expect(Buffer.from(stored[0]!.capture)).toEqual(Buffer.from([0x1f, 0x8b, 0, 1, 2, 255]));
    expect(stored[0]!.requestTimestamp).toEqual(kept.requestTimestamp);
    // A replay of an already recorded row keeps nothing new (the row was not inserted again).
    await db.usageCapture.delete({ where: { requestId: kept.requestId } });
    expect((await recordUsage(db, [kept])).inserted).toBe(0);
    expect(await db.usageCapture.count({ where: { requestId: kept.requestId } })).toBe(0);
  });

  it("files a call on the UTC day it was received", async () => {
    const late = row({ requestTimestamp: new Date("2026-05-31T23:30:00-02:00") });
    await recordUsage(db, [late]);
    const rollup = await db.usageDailyRollup.findFirst({
      where: { buyerUserId: buyerId, apiServiceId: serviceId, day: new Date("2026-06-01") },
    });
    expect(rollup?.calls).toBe(1n);
  });

  it("stores a row with no model and no price as an unpriced-free error row", async () => {
    const r = row({
      modelName: null,
      modelPriceId: null,
      tokenCost: "0",
      statusCode: 502,
      upstreamReached: false,
      errorCode: "upstream_unreachable",
      inputTokens: 0,
      totalTokens: 0,
      ttfbMs: null,
      requestTimestamp: new Date("2026-07-01T00:00:00Z"),
    });
    await recordUsage(db, [r]);
    const rollup = await db.usageDailyRollup.findFirst({
      where: { buyerUserId: buyerId, apiServiceId: serviceId, day: new Date("2026-07-01"), modelName: "" },
    });
    expect(rollup?.calls).toBe(1n);
    expect(rollup?.errorCalls).toBe(1n);
    expect(rollup?.unpricedCalls).toBe(0n);
  });

  it("stores the same row through the worker's pg pool as through Prisma, awkward values included", async () => {
    const awkward = {
      requestTimestamp: new Date("2026-04-09T10:11:12.345Z"),
      path: '/v1/{chat},"completions"\\ \u00e9\u{1F600} NULL',
      modelName: 'm\u0000odel "x",{y}\\ \ud800',
      upstreamRequestId: "NULL",
      apiKeyId: 9_007_199_254_740_993n,
      ttfbMs: null,
      tokenCost: "0.0000000123",
      parseError: "a\nb",
      requestSizeBytes: 5_000_000_000,
      retainedCapture: Buffer.from([0, 1, 2, 0xfe, 0xff]),
    } satisfies Partial<UsageRow>;
    const viaPrisma = row(awkward);
    const viaPool = row(awkward);
    expect(await recordUsage(db, [viaPrisma])).toEqual({ inserted: 1, duplicates: 0 });
    expect(await recordUsage(pool, [viaPool, viaPool])).toEqual({ inserted: 1, duplicates: 1 });
    expect(await recordUsage(pool, [viaPool])).toEqual({ inserted: 0, duplicates: 1 });
    const [a, b] = await Promise.all(
      [viaPrisma, viaPool].map((r) => db.usageLog.findFirst({ where: { requestId: r.requestId } })),
    );
    const own = { id: 0n, requestId: "", createdAt: null };
    expect({ ...b, ...own }).toEqual({ ...a, ...own });
    expect(b?.modelName).toBe('model "x",{y}\\ \ufffd');
    expect(b?.apiKeyId).toBe(9_007_199_254_740_993n);
    expect(b?.tokenCost?.toFixed(10)).toBe("0.0000000123");
    const kept = await db.usageCapture.findUnique({ where: { requestId: viaPool.requestId } });
    expect(Buffer.from(kept!.capture)).toEqual(Buffer.from([0, 1, 2, 0xfe, 0xff]));
  });

  it("records a batch of 2000 rows in one call", async () => {
    const rows = Array.from({ length: 2000 }, () =>
      row({ requestTimestamp: new Date("2026-08-08T08:08:08Z") }),
    );
    expect((await recordUsage(db, rows)).inserted).toBe(2000);
    const rollup = await db.usageDailyRollup.findFirst({
      where: { buyerUserId: buyerId, apiServiceId: serviceId, day: new Date("2026-08-08") },
    });
    expect(rollup?.calls).toBe(2000n);
    expect(rollup?.tokenCost.toFixed(10)).toBe("0.0005000000");
  });
});

describe("hourly rollups", () => {
  it("counts exactly the inserted rows per UTC hour, in the same statement as the daily rollups", async () => {
    const at = (iso: string) => row({ requestTimestamp: new Date(iso), modelName: "hourly-test" });
    const first = at("2026-09-01T05:59:59.999Z");
    const rows = [first, at("2026-09-01T06:00:00.000Z"), at("2026-09-01T06:29:00Z")];
    expect((await recordUsage(db, rows)).inserted).toBe(3);
    // A replay adds nothing to either rollup.
    expect((await recordUsage(db, [first])).inserted).toBe(0);
    const hourly = await db.usageHourlyRollup.findMany({
      where: { buyerUserId: BigInt(buyerId), modelName: "hourly-test" },
      orderBy: { hour: "asc" },
    });
    expect(hourly.map((h) => [h.hour.toISOString(), h.calls])).toEqual([
      ["2026-09-01T05:00:00.000Z", 1n],
      ["2026-09-01T06:00:00.000Z", 2n],
    ]);
    expect(hourly[1]?.tokenCost.toFixed(10)).toBe("0.0000005000");
    const daily = await db.usageDailyRollup.findFirst({
      where: { buyerUserId: BigInt(buyerId), modelName: "hourly-test" },
    });
    expect(daily?.calls).toBe(3n);
  });
});

describe("bad input", () => {
  it("stores a model name with a NUL byte instead of failing the batch", async () => {
    const r = row({ modelName: "gpt-4o\u0000x", path: "/v1/\u0000" });
    expect((await recordUsage(db, [r])).inserted).toBe(1);
    const stored = await db.usageLog.findFirst({ where: { requestId: r.requestId } });
    expect(stored?.modelName).toBe("gpt-4ox");
  });
});
