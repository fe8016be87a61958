import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import {
  createDbClient,
  type DbClient,
  dashboardTotals,
  familyFor,
  recordUsage,
  type UsageRow,
  usageBreakdown,
  usageByService,
} from "../src/index.js";

let db: DbClient;
const buyers: bigint[] = [];
// Rows in a year of their own: the all-buyer reads below see only them.
const period = { from: "2034-01-20", to: "2034-03-10" };
const recent = { from: "2034-02-01", to: "2034-03-02" };

function row(
  buyer: bigint,
  service: number,
  at: string,
  model: string | null,
  cost: string | null,
): UsageRow {
  return {
    requestId: randomUUID(),
    buyerUserId: BigInt(Number(buyer)),
    apiKeyId: BigInt(Number(buyer) * 10 + (service % 2)),
    apiServiceId: BigInt(service),
    requestTimestamp: new Date(at),
    httpMethod: "POST",
    path: "/v1/x",
    statusCode: cost === "0" ? 500 : 200,
    latencyMs: 1,
    ttfbMs: null,
    streamed: false,
    upstreamReached: true,
    errorCode: null,
    modelName: model,
    inputTokens: 3,
    outputTokens: 2,
    totalTokens: 5,
    cachedInputTokens: 0,
    cacheWriteTokens: 0,
    cacheWrite1hTokens: 0,
    reasoningTokens: 0,
    tokenCost: cost,
    modelPriceId: cost === null ? null : 1n,
    usageSource: "reported",
    parser: null,
    parseError: null,
    requestSizeBytes: 1,
    responseSizeBytes: 1,
    upstreamRequestId: null,
  };
}

beforeAll(async () => {
  db = createDbClient({ databaseUrl: inject("databaseUrl") });
  for (const name of ["reads-a", "reads-b"]) buyers.push((await db.buyer.create({ data: { name } })).id);
  const service = 500_000 + Math.floor(Math.random() * 90_000);
  const rows: UsageRow[] = [];
  const days = [
    "2034-01-19T23:59:59Z",
    "2034-01-20T00:00:00Z",
    "2034-02-14T12:00:00Z",
    "2034-02-28T23:00:00Z",
  ];
  for (const at of [...days, "2034-03-10T23:59:59Z", "2034-03-11T00:00:00Z"]) {
    rows.push(row(buyers[0] as bigint, service, at, "m-1", "0.0000000001"));
    rows.push(row(buyers[1] as bigint, service + 1, at, null, null));
    rows.push(row(buyers[1] as bigint, service, at, "m-2", "0"));
  }
  await recordUsage(db, rows);
});
afterAll(async () => {
  await db.$disconnect();
});

describe("ledger reads", () => {
  it("picks the smallest family that keeps what a report groups and filters by", () => {
    expect(familyFor({}, "summary")).toBe("service");
    expect(familyFor({ sellerId: 1n }, "model")).toBe("service");
    expect(familyFor({}, "buyer")).toBe("buyer_total");
    expect(familyFor({ buyerId: 1n }, "day")).toBe("buyer_total");
    expect(familyFor({ sellerId: 1n }, "buyer")).toBe("service_buyer");
    expect(familyFor({ apiServiceId: 1n }, "buyer")).toBe("service_buyer");
    // Keyed service first: a buyer's own summary stays on the buyer-first key levels.
    expect(familyFor({ buyerId: 1n, apiServiceId: 1n }, "buyer")).toBe("key");
    expect(familyFor({ buyerId: 1n }, "key")).toBe("key");
    expect(familyFor({ buyerId: 1n }, "summary")).toBe("key");
    expect(familyFor({ buyerId: 1n }, "model")).toBe("buyer");
  });

  it("the dashboard's one statement equals the separate reports", async () => {
    const one = await dashboardTotals(db, period, recent);
    const { total, services } = await usageByService(db, period);
    expect(one.total).toEqual(total);
    expect(one.total.calls).toBe(12);
    expect(one.byService).toEqual(
      services.map(({ name, id, ...t }) => ({ api_service_id: id, api_service_name: name, ...t })),
    );
    expect(one.byBuyer).toEqual(await usageBreakdown(db, "buyer", period));
    expect(one.byModel).toEqual(await usageBreakdown(db, "model", period));
    expect(one.byDay).toEqual(await usageBreakdown(db, "day", period));
    expect(one.recent).toEqual(await usageBreakdown(db, "day", recent));
    expect(one.byBuyer.map((b) => b.calls)).toEqual([4, 8]);
  });
});
