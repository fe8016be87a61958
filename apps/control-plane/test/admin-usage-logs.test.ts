import { randomBytes } from "node:crypto";
import { recordUsage } from "@tokenmeter/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanup, createBuyerWithKey, createService, readJson, startApp, type TestApp } from "./helpers.js";
import { cleanupSellers, createSellerWithKey, usageRow } from "./usage-rows.js";

let app: TestApp;
let buyers: bigint[];
let services: { id: bigint }[];
let sellerId: bigint;

// A UUIDv7 of the given millisecond, as the proxy names a call received then.
function uuidv7At(ms: number): string {
  const time = ms.toString(16).padStart(12, "0");
  const r = randomBytes(10).toString("hex");
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${r.slice(0, 3)}-8${r.slice(3, 6)}-${r.slice(6, 18)}`;
}

type Row = { id: number; request_timestamp: string; buyer_id: number; api_service_id: number };

async function pages(filter: string, limit: number, legacy = false): Promise<Row[]> {
  const all: Row[] = [];
  let next = "";
  for (let guard = 0; guard < 100; guard++) {
    const res = await app.admin("GET", `/admin/usage/logs?${filter}&limit=${limit}${next}`);
    expect(res.status).toBe(200);
    const body = await readJson(res);
    expect(body.rows.length).toBeLessThanOrEqual(limit);
    all.push(...body.rows);
    if (body.next_cursor === null) {
      expect(body.next_before_id).toBeNull();
      return all;
    }
    next = legacy ? `&before_id=${body.next_before_id}` : `&cursor=${body.next_cursor}`;
  }
  throw new Error("pages never ended");
}

/** The rows a filter must return, read straight from the table, newest first by (request_timestamp, id). */
async function expected(where: { buyerUserId?: bigint; apiServiceId?: bigint | { in: bigint[] } }) {
  const rows = await app.db.usageLog.findMany({
    where: { ...where, buyerUserId: where.buyerUserId ?? { in: buyers } },
    orderBy: [{ requestTimestamp: "desc" }, { id: "desc" }],
  });
  return rows.map((r) => Number(r.id));
}

beforeAll(async () => {
  app = await startApp();
  const seller = await createSellerWithKey(app.db);
  sellerId = seller.sellerId;
  services = [await createService(app.db), await createService(app.db), await createService(app.db)];
  await app.db.apiService.updateMany({
    where: { id: { in: [services[0]!.id, services[1]!.id] } },
    data: { sellerId },
  });
  buyers = [(await createBuyerWithKey(app.db)).buyerId, (await createBuyerWithKey(app.db)).buyerId];
  // 90 calls around the end of November 2026 (two partitions), several in the same millisecond, the
  // buyers and services interleaved.
  const boundary = Date.UTC(2026, 11, 1);
  const rows = Array.from({ length: 90 }, (_, i) => {
    const at = boundary - 30 + Math.floor(i / 3) * 2 - (i % 2);
    return usageRow({ buyerId: buyers[i % 2]!, keyId: 1n, serviceId: services[i % 3]!.id }, new Date(at), {
      requestId: uuidv7At(at),
    });
  });
  // Recorded in shuffled batches, so ids do not follow time.
  for (let i = 0; i < 3; i++)
    await recordUsage(
      app.db,
      rows.filter((_, k) => (k * 7 + i) % 3 === 0),
    );
});

afterAll(async () => {
  await cleanup(
    app.db,
    buyers,
    services.map((s) => s.id),
  );
  await cleanupSellers(app.db, [sellerId]);
  await app.close();
});

describe("GET /admin/usage/logs pages", () => {
  it("returns exactly the rows of each filter, in order, without gaps or repeats, across a partition boundary", async () => {
    const [b0, b1] = buyers as [bigint, bigint];
    const [s0, s1] = services.map((s) => s.id) as [bigint, bigint, bigint];
    const cases: [string, Parameters<typeof expected>[0]][] = [
      [`buyer_id=${b0}`, { buyerUserId: b0 }],
      [`buyer_id=${b1}&api_service_id=${s1}`, { buyerUserId: b1, apiServiceId: s1 }],
      [`api_service_id=${s0}`, { apiServiceId: s0 }],
      [`seller_id=${sellerId}`, { apiServiceId: { in: [s0, s1] } }],
      [`buyer_id=${b0}&seller_id=${sellerId}`, { buyerUserId: b0, apiServiceId: { in: [s0, s1] } }],
    ];
    for (const [filter, where] of cases) {
      const want = await expected(where);
      expect(want.length).toBeGreaterThan(10);
      const got = await pages(filter, 4);
      expect(
        got.map((r) => r.id),
        filter,
      ).toEqual(want);
      expect(new Set(got.map((r) => r.request_timestamp.slice(0, 7))).size, filter).toBe(2);
      // Older clients paging with before_id get the same sequence.
      expect(
        (await pages(filter, 7, true)).map((r) => r.id),
        filter,
      ).toEqual(want);
    }
    // A page size that divides the result exactly ends with an empty last page, never a repeat.
    const want = await expected({ buyerUserId: b0 });
    expect((await pages(`buyer_id=${b0}`, want.length)).map((r) => r.id)).toEqual(want);
  });

  it("refuses a cursor it did not make and a before_id that names no row", async () => {
    for (const bad of ["abc", Buffer.from("12.0").toString("base64url"), "x".repeat(65)]) {
      const res = await app.admin("GET", `/admin/usage/logs?buyer_id=${buyers[0]}&cursor=${bad}`);
      expect(res.status).toBe(400);
      expect((await readJson(res)).code).toMatch(/invalid_(cursor|request)/);
    }
    const res = await app.admin("GET", "/admin/usage/logs?before_id=9223372036854775807");
    expect(res.status).toBe(400);
    expect((await readJson(res)).code).toBe("invalid_cursor");
  });
});
