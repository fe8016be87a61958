import { randomBytes, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import {
  createDbClient,
  type DbClient,
  dropDatabase,
  listUsagePartitions,
  maintainUsagePartitions,
  prepareDatabase,
  recordUsage,
  requestTimeOf,
  type UsageRow,
} from "../src/index.js";
import { uuidv7At } from "./uuidv7-at.js";

// Partition maintenance changes the table itself (months created, dropped): it runs in a database of its own,
// never the one the other test files share.
let url: string;
let db: DbClient;

function row(requestTimestamp: Date, overrides: Partial<UsageRow> = {}): UsageRow {
  return {
    requestId: randomUUID(),
    buyerUserId: 7n,
    apiKeyId: 1n,
    apiServiceId: 3n,
    requestTimestamp,
    httpMethod: "POST",
    path: "/v1/messages",
    statusCode: 200,
    latencyMs: 10,
    ttfbMs: 4,
    streamed: false,
    upstreamReached: true,
    errorCode: null,
    modelName: "m",
    inputTokens: 2,
    outputTokens: 3,
    totalTokens: 5,
    cachedInputTokens: 0,
    cacheWriteTokens: 0,
    cacheWrite1hTokens: 0,
    reasoningTokens: 0,
    tokenCost: "0.001",
    modelPriceId: null,
    usageSource: "reported",
    parser: "p",
    parseError: null,
    requestSizeBytes: 1,
    responseSizeBytes: 2,
    upstreamRequestId: null,
    ...overrides,
  };
}

const partitionOf = async (requestId: string) =>
  (
    await db.$queryRawUnsafe<{ p: string }[]>(
      "SELECT tableoid::regclass::text AS p FROM usage_logs WHERE request_id = $1::uuid",
      requestId,
    )
  ).map((r) => r.p);
const names = async () => (await listUsagePartitions(db)).map((p) => p.name);
const defaultRows = async () =>
  Number((await db.$queryRawUnsafe<{ n: bigint }[]>("SELECT count(*) AS n FROM usage_logs_default"))[0]?.n);

beforeAll(async () => {
  const u = new URL(inject("databaseUrl"));
  u.pathname = `${u.pathname}_parts_${randomBytes(3).toString("hex")}`;
  url = u.toString();
  await prepareDatabase(url);
  db = createDbClient({ databaseUrl: url });
}, 120_000);
afterAll(async () => {
  await db?.$disconnect();
  if (url) await dropDatabase(url);
});

describe("request ids and partitions", () => {
  it("reads the millisecond of a UUIDv7 and nothing from other ids", () => {
    const ms = Date.UTC(2026, 10, 30, 23, 59, 59, 999);
    expect(requestTimeOf(uuidv7At(ms))?.getTime()).toBe(ms);
    expect(requestTimeOf(randomUUID())).toBeNull();
    expect(requestTimeOf("zzzzzzzz-zzzz-7zzz-8zzz-zzzzzzzzzzzz")).toBeNull();
  });

  it("records a call at the last millisecond of a month once, even replayed with a clock past the boundary", async () => {
    const at = new Date("2026-11-30T23:59:59.999Z");
    const call = row(at, { requestId: uuidv7At(at.getTime()), buyerUserId: 71n });
    expect(await recordUsage(db, [call])).toEqual({ inserted: 1, duplicates: 0 });
    // The replay (journal or queue) carries a timestamp read again after midnight: it still names the same row.
    const replay = { ...call, requestTimestamp: new Date("2026-12-01T00:00:00.004Z") };
    expect(await recordUsage(db, [replay])).toEqual({ inserted: 0, duplicates: 1 });
    expect(await recordUsage(db, [call])).toEqual({ inserted: 0, duplicates: 1 });
    expect(await partitionOf(call.requestId)).toEqual(["usage_logs_p202611"]);
    const rollups = await db.usageDailyRollup.findMany({ where: { buyerUserId: 71 } });
    expect(rollups.map((r) => [r.day.toISOString().slice(0, 10), Number(r.calls)])).toEqual([
      ["2026-11-30", 1],
    ]);
  });

  it("dates a capture whose timestamp disagrees with its UUIDv7 by the id: never a second row", async () => {
    const at = Date.UTC(2026, 11, 24, 12, 0, 0, 0);
    const forged = row(new Date("2027-02-14T00:00:00Z"), { requestId: uuidv7At(at), buyerUserId: 72n });
    expect(await recordUsage(db, [forged])).toEqual({ inserted: 1, duplicates: 0 });
    expect(await recordUsage(db, [{ ...forged, requestTimestamp: new Date(at) }])).toEqual({
      inserted: 0,
      duplicates: 1,
    });
    const stored = await db.usageLog.findMany({ where: { requestId: forged.requestId } });
    expect(stored.map((r) => r.requestTimestamp.getTime())).toEqual([at]);
    expect(await partitionOf(forged.requestId)).toEqual(["usage_logs_p202612"]);
  });
});

describe("maintainUsagePartitions", () => {
  it("creates the months ahead, moves DEFAULT's rows into their own months and leaves absurd dates there", async () => {
    const past = row(new Date("2029-01-10T00:00:00Z"));
    const ahead = row(new Date("2031-09-30T23:59:59.999Z"));
    const absurd = row(new Date("2090-01-01T00:00:00Z"));
    await recordUsage(db, [past, ahead, absurd]);
    expect(await partitionOf(past.requestId)).toEqual(["usage_logs_default"]);
    expect(await partitionOf(ahead.requestId)).toEqual(["usage_logs_default"]);

    const report = await maintainUsagePartitions(db, {
      now: new Date("2031-06-10T08:00:00Z"),
      monthsAhead: 3,
    });
    expect(report.created).toEqual([
      "usage_logs_p202901",
      "usage_logs_p203106",
      "usage_logs_p203107",
      "usage_logs_p203108",
      "usage_logs_p203109",
    ]);
    expect(report.rowsMoved).toBe(2);
    expect(report.defaultRowsLeft).toBe(1);
    expect(await partitionOf(past.requestId)).toEqual(["usage_logs_p202901"]);
    expect(await partitionOf(ahead.requestId)).toEqual(["usage_logs_p203109"]);
    expect(await partitionOf(absurd.requestId)).toEqual(["usage_logs_default"]);
    // The moved rows keep their ids, are still found by their unique key, and a replay is still one row.
    expect(await recordUsage(db, [ahead, past])).toEqual({ inserted: 0, duplicates: 2 });
    // The new partitions carry every index of the table (the seed's three among them).
    const indexes = await db.$queryRawUnsafe<{ n: bigint }[]>(
      "SELECT count(*) AS n FROM pg_indexes WHERE tablename = 'usage_logs_p203109'",
    );
    expect(Number(indexes[0]?.n)).toBe(9);

    const again = await maintainUsagePartitions(db, {
      now: new Date("2031-06-10T08:00:00Z"),
      monthsAhead: 3,
    });
    expect(again.created).toEqual([]);
    expect(again.rowsMoved).toBe(0);
  });

  it("drops whole partitions past the retention, expired rows in DEFAULT, and never a rollup", async () => {
    const old = row(new Date("2031-02-27T10:00:00Z"), { buyerUserId: 90n });
    const kept = row(new Date("2031-03-01T00:00:00Z"), { buyerUserId: 90n });
    const ancient = row(new Date("2020-01-01T00:00:00Z"), { buyerUserId: 90n });
    await recordUsage(db, [old, kept, ancient]);
    await maintainUsagePartitions(db, { now: new Date("2031-06-10T08:00:00Z"), monthsAhead: 3 });
    expect(await names()).toEqual(expect.arrayContaining(["usage_logs_p203102", "usage_logs_p203103"]));
    const rollupsBefore = await db.usageDailyRollup.findMany({
      where: { buyerUserId: 90 },
      orderBy: { day: "asc" },
    });
    expect(rollupsBefore).toHaveLength(3);

    // Two whole months kept before June 2031: April and May, so March is still there on 10 May.
    const report = await maintainUsagePartitions(db, {
      now: new Date("2031-05-10T08:00:00Z"),
      monthsAhead: 3,
      retentionMonths: 2,
    });
    expect(report.dropped).toEqual([
      "usage_logs_p202001",
      "usage_logs_p202611",
      "usage_logs_p202612",
      "usage_logs_p202701",
      "usage_logs_p202702",
      "usage_logs_p202703",
      "usage_logs_p202901",
      "usage_logs_p203102",
    ]);
    expect(await names()).toContain("usage_logs_p203103");
    expect(
      await db.usageLog.count({ where: { requestId: { in: [old.requestId, ancient.requestId] } } }),
    ).toBe(0);
    expect(await db.usageLog.count({ where: { requestId: kept.requestId } })).toBe(1);
    const rollupsAfter = await db.usageDailyRollup.findMany({
      where: { buyerUserId: 90 },
      orderBy: { day: "asc" },
    });
    expect(rollupsAfter).toEqual(rollupsBefore);
    expect(await db.usageHourlyRollup.count({ where: { buyerUserId: 90 } })).toBe(3);

    // An expired row arriving in DEFAULT is deleted, and gets no partition of its own.
    const late = row(new Date("2030-12-31T23:00:00Z"), { buyerUserId: 91n });
    await recordUsage(db, [late]);
    const next = await maintainUsagePartitions(db, {
      now: new Date("2031-05-10T08:00:00Z"),
      monthsAhead: 3,
      retentionMonths: 2,
    });
    expect(next.defaultRowsExpired).toBe(1);
    expect(next.created).toEqual([]);
    expect(await names()).not.toContain("usage_logs_p203012");
    expect(await defaultRows()).toBe(1); // the absurd 2090 row only
  });

  it("rebuilds the indexes of the last closed month once, a day after it closed", async () => {
    const rows = Array.from({ length: 300 }, (_, i) =>
      row(new Date(Date.UTC(2031, 3, 1 + (i % 28), i % 24))),
    );
    await recordUsage(db, rows);
    const early = await maintainUsagePartitions(db, {
      now: new Date("2031-05-01T12:00:00Z"),
      monthsAhead: 0,
    });
    expect(early.reindexed).toEqual([]);
    const report = await maintainUsagePartitions(db, {
      now: new Date("2031-05-10T08:00:00Z"),
      monthsAhead: 0,
    });
    expect(report.reindexed).toEqual(["usage_logs_p203104"]);
    expect(report.reindexBytes.after).toBeGreaterThan(0);
    const again = await maintainUsagePartitions(db, {
      now: new Date("2031-05-11T08:00:00Z"),
      monthsAhead: 0,
    });
    expect(again.reindexed).toEqual([]);
  });
});
