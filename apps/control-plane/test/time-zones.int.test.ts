import { recordUsage, type UsageRow } from "@tokenmeter/db";
import { generateApiKey } from "@tokenmeter/keys";
import { Decimal } from "decimal.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanup, createBuyerWithKey, readJson, startApp, type TestApp, unique } from "./helpers.js";
import { cleanupSellers, createSellerWithKey, usageRow } from "./usage-rows.js";

// Rows around every local midnight of several zones (±1 ms), on DST days, and spread over every hour, then
// each summary and breakdown is compared with sums over the raw rows computed by PostgreSQL from the zone's
// bounds — never with figures written in the test.
const ZONES = [
  "UTC",
  "Asia/Kolkata", // +05:30
  "Asia/Kathmandu", // +05:45
  "America/New_York", // DST: 2024-03-10 has 23 hours, 2024-11-03 has 25
  "Australia/Lord_Howe", // a 30-minute DST shift (2024-04-07)
  "Pacific/Chatham", // +13:45 / +12:45
];
const RANGES = [
  ["2024-03-09", "2024-03-11"],
  ["2024-03-10", "2024-03-10"],
  ["2024-04-01", "2024-04-30"],
  ["2024-11-03", "2024-11-03"],
  ["2024-03-01", "2024-11-30"],
] as const;

let app: TestApp;
let seller: Awaited<ReturnType<typeof createSellerWithKey>>;
let otherSeller: Awaited<ReturnType<typeof createSellerWithKey>>;
let buyer: Awaited<ReturnType<typeof createBuyerWithKey>>;
let other: Awaited<ReturnType<typeof createBuyerWithKey>>;
let secondKeyId: bigint;
const serviceIds: bigint[] = [];

let seed = 7;
const random = () => {
  seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
  return seed / 2 ** 31;
};
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;

async function localMidnights(tz: string, from: string, to: string): Promise<number[]> {
  const rows = await app.db.$queryRaw<Array<{ t: string }>>`
    SELECT (extract(epoch FROM (d::timestamp AT TIME ZONE ${tz})) * 1000)::bigint::text AS t
    FROM generate_series(${from}::date, ${to}::date, interval '1 day') AS d`;
  return rows.map((r) => Number(r.t));
}

interface RawSums {
  calls: number;
  total_tokens: number;
  cost: string;
}

// The truth: the raw rows inside [local midnight of from, local midnight after to) of the zone.
async function rawSums(tz: string, from: string, to: string, scope: "buyer" | "seller", by?: string) {
  const filter =
    scope === "buyer"
      ? `buyer_user_id = ${buyer.buyerId}`
      : `api_service_id IN (SELECT id FROM api_services WHERE seller_id = ${seller.sellerId})`;
  // Ordered by the key's own type (key ids numerically, as the API orders them), not by its text.
  const key = by ?? "'all'";
  return app.db.$queryRawUnsafe<Array<RawSums & { k: string }>>(
    `SELECT (${key})::text AS k, count(*)::int AS calls, COALESCE(sum(total_tokens), 0)::int AS total_tokens,
       COALESCE(sum(token_cost), 0)::text AS cost
     FROM usage_logs
     WHERE ${filter}
       AND request_timestamp >= ($1::date::timestamp AT TIME ZONE $3)
       AND request_timestamp < (($2::date + 1)::timestamp AT TIME ZONE $3)
     GROUP BY 1 ORDER BY min(${key})`,
    from,
    to,
    tz,
  );
}

const get = async (key: string, path: string) => {
  const res = await fetch(`${app.base}${path}`, { headers: { authorization: `Bearer ${key}` } });
  expect(res.status, path).toBe(200);
  return readJson(res);
};
const exact = (text: string) => new Decimal(text).toFixed();

beforeAll(async () => {
  app = await startApp();
  seller = await createSellerWithKey(app.db);
  otherSeller = await createSellerWithKey(app.db);
  const services: Array<{ id: bigint }> = [];
  for (const sellerId of [seller.sellerId, seller.sellerId, otherSeller.sellerId]) {
    const service = await app.db.apiService.create({
      data: { sellerId, name: `tz-${unique()}`, slug: `tz-${unique()}`, upstreamUrl: "http://127.0.0.1:9" },
    });
    services.push(service);
    serviceIds.push(service.id);
  }
  buyer = await createBuyerWithKey(app.db);
  other = await createBuyerWithKey(app.db);
  const second = generateApiKey();
  secondKeyId = (
    await app.db.apiKey.create({
      data: { buyerId: buyer.buyerId, keyHash: second.hash, prefix: second.prefix },
    })
  ).id;

  const instants: number[] = [];
  for (const tz of ZONES) {
    for (const t of await localMidnights(tz, "2024-03-08", "2024-04-09")) instants.push(t - 1, t, t + 1);
    for (const t of await localMidnights(tz, "2024-11-01", "2024-11-05")) instants.push(t - 1, t, t + 1);
    for (const t of await localMidnights(tz, "2024-03-01", "2024-11-30")) {
      if (random() < 0.1) instants.push(t - 1, t);
    }
  }
  // Plus rows spread over the whole span, so hourly and daily rollups carry most of the totals.
  const start = Date.parse("2024-02-28T00:00:00Z");
  const end = Date.parse("2024-12-02T00:00:00Z");
  for (let i = 0; i < 1500; i++) instants.push(start + Math.floor(random() * (end - start)));

  const rows: UsageRow[] = instants.map((t) => {
    const who = random() < 0.8 ? buyer : other;
    const service = pick(services);
    const priced = random() < 0.9;
    return usageRow(
      {
        buyerId: who.buyerId,
        keyId: who === buyer && random() < 0.3 ? secondKeyId : who.keyId,
        serviceId: service.id,
      },
      new Date(t),
      {
        modelName: pick(["gpt-4o-mini", "claude-3-haiku", null]),
        totalTokens: 1 + Math.floor(random() * 5000),
        statusCode: random() < 0.05 ? 500 : 200,
        tokenCost: priced ? `0.${String(Math.floor(random() * 1e10)).padStart(10, "0")}` : "0",
        modelPriceId: priced ? 1n : null,
      },
    );
  });
  for (let i = 0; i < rows.length; i += 500) await recordUsage(app.db, rows.slice(i, i + 500));
});

afterAll(async () => {
  await cleanup(app.db, [buyer.buyerId, other.buyerId], serviceIds);
  await cleanupSellers(app.db, [seller.sellerId, otherSeller.sellerId]);
  await app.close();
});

describe.each(ZONES)("periods in %s equal the raw rows inside the zone's bounds", (tz) => {
  it.each(RANGES)("buyer summary %s..%s", async (from, to) => {
    const body = await get(buyer.key, `/api/v1/usage/summary?from=${from}&to=${to}&tz=${tz}`);
    const [truth] = await rawSums(tz, from, to, "buyer");
    expect(body).toMatchObject({ tz, from, to, period: "custom" });
    expect({ calls: body.calls_made, tokens: body.total_tokens, cost: body.indicative_cost_exact }).toEqual({
      calls: truth?.calls ?? 0,
      tokens: truth?.total_tokens ?? 0,
      cost: exact(truth?.cost ?? "0"),
    });
    expect(body.indicative_cost).toBe(Number(truth?.cost ?? 0));
  });

  it.each(RANGES)("seller summary and buyer breakdown by %s..%s", async (from, to) => {
    const body = await get(
      seller.key,
      `/api/v1/seller/usage/summary?from=${from}&to=${to}&tz=${tz}&group_by=buyer`,
    );
    const [truth] = await rawSums(tz, from, to, "seller");
    expect([body.calls_made, body.indicative_cost_exact]).toEqual([
      truth?.calls ?? 0,
      exact(truth?.cost ?? "0"),
    ]);
    const byBuyer = await rawSums(tz, from, to, "seller", "buyer_user_id");
    expect(
      body.breakdown.rows.map((r: { buyer_id: number; calls: number; token_cost_exact: string }) => [
        String(r.buyer_id),
        r.calls,
        r.token_cost_exact,
      ]),
    ).toEqual(byBuyer.map((r) => [r.k, r.calls, exact(r.cost)]));
  });

  it("group_by=day gives each local day exactly its raw rows (buyer and seller)", async () => {
    const [from, to] = ["2024-03-08", "2024-04-09"];
    const dayOf = `to_char((request_timestamp AT TIME ZONE '${tz}')::date, 'YYYY-MM-DD')`;
    for (const [key, scope, path] of [
      [buyer.key, "buyer", "/api/v1/usage/breakdown"],
      [seller.key, "seller", "/api/v1/seller/usage/breakdown"],
    ] as const) {
      const body = await get(key, `${path}?from=${from}&to=${to}&tz=${tz}&group_by=day`);
      const truth = await rawSums(tz, from, to, scope, dayOf);
      expect(
        body.rows.map((r: { day: string; calls: number; total_tokens: number; token_cost_exact: string }) => [
          r.day,
          r.calls,
          r.total_tokens,
          r.token_cost_exact,
        ]),
      ).toEqual(truth.map((r) => [r.k, r.calls, r.total_tokens, exact(r.cost)]));
    }
  });

  it("group_by=model and group_by=key match the raw rows", async () => {
    const [from, to] = ["2024-03-10", "2024-04-07"];
    const byModel = await get(
      buyer.key,
      `/api/v1/usage/breakdown?from=${from}&to=${to}&tz=${tz}&group_by=model`,
    );
    const models = await rawSums(tz, from, to, "buyer", "COALESCE(model_name, '')");
    expect(
      byModel.rows.map((r: { model_name: string | null; calls: number }) => [r.model_name ?? "", r.calls]),
    ).toEqual(models.map((r) => [r.k, r.calls]));
    const byKey = await get(buyer.key, `/api/v1/usage/breakdown?from=${from}&to=${to}&tz=${tz}&group_by=key`);
    const keys = await rawSums(tz, from, to, "buyer", "api_key_id");
    expect(
      byKey.rows.map((r: { api_key_id: number; token_cost_exact: string }) => [
        String(r.api_key_id),
        r.token_cost_exact,
      ]),
    ).toEqual(keys.map((r) => [r.k, exact(r.cost)]));
  });
});

describe("tz and group_by validation", () => {
  it("answers 400 invalid_tz for an unknown zone and invalid_group_by for a dimension the reader lacks", async () => {
    const bad = await fetch(`${app.base}/api/v1/usage/summary?tz=Nowhere/Special`, {
      headers: { authorization: `Bearer ${buyer.key}` },
    });
    expect(bad.status).toBe(400);
    expect((await readJson(bad)).code).toBe("invalid_tz");
    const buyerGroup = await fetch(`${app.base}/api/v1/usage/summary?group_by=buyer`, {
      headers: { authorization: `Bearer ${buyer.key}` },
    });
    expect(buyerGroup.status).toBe(400);
    expect((await readJson(buyerGroup)).code).toBe("invalid_group_by");
  });

  it("a buyer's key breakdown lists only their own keys", async () => {
    const body = await get(buyer.key, "/api/v1/usage/breakdown?from=2024-03-01&to=2024-11-30&group_by=key");
    expect(body.rows.map((r: { api_key_id: number }) => r.api_key_id).sort()).toEqual(
      [Number(buyer.keyId), Number(secondKeyId)].sort(),
    );
  });
});
