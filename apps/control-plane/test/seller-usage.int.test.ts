import { recordUsage } from "@tokenmeter/db";
import { generateSellerKey } from "@tokenmeter/keys";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanup, createBuyerWithKey, readJson, startApp, type TestApp, unique } from "./helpers.js";
import { cleanupSellers, createSellerWithKey, usageRow } from "./usage-rows.js";

// Two sellers (S1 owns services a1 and a2, S2 owns b1) and two buyers who both call both sellers' services.
let app: TestApp;
let s1: Awaited<ReturnType<typeof createSellerWithKey>>;
let s2: Awaited<ReturnType<typeof createSellerWithKey>>;
let alice: Awaited<ReturnType<typeof createBuyerWithKey>>;
let bob: Awaited<ReturnType<typeof createBuyerWithKey>>;
const services: Record<"a1" | "a2" | "b1", { id: bigint; name: string }> = {} as never;
let revokedSellerKey = "";
const now = new Date();
const today = now.toISOString().slice(0, 10);

const get = (key: string, path: string) =>
  fetch(`${app.base}${path}`, { headers: { authorization: `Bearer ${key}` } });
const sellerSummary = (key: string, query = "") => get(key, `/api/v1/seller/usage/summary${query}`);

beforeAll(async () => {
  app = await startApp();
  s1 = await createSellerWithKey(app.db, `Seller One ${unique()}`);
  s2 = await createSellerWithKey(app.db, `Seller Two ${unique()}`);
  for (const [name, sellerId] of [
    ["a1", s1.sellerId],
    ["a2", s1.sellerId],
    ["b1", s2.sellerId],
  ] as const) {
    services[name] = await app.db.apiService.create({
      data: {
        sellerId,
        name: `svc-${name}-${unique()}`,
        slug: `t-${unique()}`,
        upstreamUrl: "http://127.0.0.1:9",
      },
    });
  }
  alice = await createBuyerWithKey(app.db, `Alice ${unique()}`);
  bob = await createBuyerWithKey(app.db, `Bob ${unique()}`);
  const revoked = generateSellerKey();
  await app.db.sellerApiKey.create({
    data: { sellerId: s1.sellerId, keyHash: revoked.hash, prefix: revoked.prefix, revokedAt: new Date() },
  });
  revokedSellerKey = revoked.key;

  const ids = (buyer: typeof alice, service: { id: bigint }) => ({
    buyerId: buyer.buyerId,
    keyId: buyer.keyId,
    serviceId: service.id,
  });
  await recordUsage(app.db, [
    usageRow(ids(alice, services.a1), now, {
      totalTokens: 100,
      inputTokens: 60,
      outputTokens: 40,
      tokenCost: "0.1",
    }),
    usageRow(ids(alice, services.a2), now, {
      modelName: "claude-3-haiku",
      totalTokens: 7,
      tokenCost: "0.02",
    }),
    usageRow(ids(bob, services.a1), now, { totalTokens: 1000, tokenCost: "1.5" }),
    usageRow(ids(bob, services.a1), now, {
      statusCode: 500,
      totalTokens: 0,
      inputTokens: 0,
      outputTokens: 0,
      tokenCost: "0",
    }),
    // Seller two's traffic, from the same buyers: must never show up for seller one.
    usageRow(ids(alice, services.b1), now, { totalTokens: 50_000, tokenCost: "77" }),
    usageRow(ids(bob, services.b1), now, { modelName: "secret-model", totalTokens: 9, tokenCost: "3" }),
  ]);
});

afterAll(async () => {
  await cleanup(
    app.db,
    [alice.buyerId, bob.buyerId],
    Object.values(services).map((s) => s.id),
  );
  await cleanupSellers(app.db, [s1.sellerId, s2.sellerId]);
  await app.close();
});

describe("GET /api/v1/seller/usage/summary", () => {
  it("sums only the seller's own services, with the buyer summary's fields, per service", async () => {
    const res = await sellerSummary(s1.key, "?period=daily");
    expect(res.status).toBe(200);
    const body = await readJson(res);
    expect(body).toMatchObject({
      period: "daily",
      from: today,
      to: today,
      seller_id: Number(s1.sellerId),
      calls_made: 4,
      total_tokens: 1107,
      indicative_cost: 1.62,
      indicative_cost_exact: "1.62",
      error_calls: 1,
    });
    expect(body.usage_details_by_api.map((d: { api_service_id: number }) => d.api_service_id)).toEqual([
      Number(services.a1.id),
      Number(services.a2.id),
    ]);
    expect(body.usage_details_by_api[0]).toMatchObject({
      api_service_name: services.a1.name,
      calls: 3,
      total_tokens: 1100,
      token_cost: 1.6,
    });
  });

  it("the other seller sees only theirs", async () => {
    const body = await readJson(await sellerSummary(s2.key, "?period=daily"));
    expect(body).toMatchObject({ calls_made: 2, total_tokens: 50_009, indicative_cost_exact: "80" });
    expect(body.usage_details_by_api).toEqual([
      expect.objectContaining({ api_service_id: Number(services.b1.id) }),
    ]);
  });

  it("breaks down by buyer with the buyer's display name, never counting their usage elsewhere", async () => {
    const body = await readJson(await sellerSummary(s1.key, "?period=daily&group_by=buyer"));
    expect(body.breakdown.group_by).toBe("buyer");
    const byBuyer = Object.fromEntries(body.breakdown.rows.map((r: { buyer_id: number }) => [r.buyer_id, r]));
    expect(Object.keys(byBuyer).sort()).toEqual([String(alice.buyerId), String(bob.buyerId)].sort());
    expect(byBuyer[String(alice.buyerId)]).toMatchObject({
      calls: 2,
      total_tokens: 107,
      token_cost_exact: "0.12",
    });
    expect(byBuyer[String(alice.buyerId)].buyer_name).toMatch(/^Alice /);
    expect(byBuyer[String(bob.buyerId)]).toMatchObject({ calls: 2, total_tokens: 1000, error_calls: 1 });
  });

  it("breaks down by model, service and day over the seller's services only", async () => {
    const byModel = await readJson(
      await get(s1.key, "/api/v1/seller/usage/breakdown?period=daily&group_by=model"),
    );
    expect(byModel.rows.map((r: { model_name: string }) => r.model_name).sort()).toEqual([
      "claude-3-haiku",
      "gpt-4o-mini",
    ]);
    const byService = await readJson(
      await get(s1.key, "/api/v1/seller/usage/breakdown?period=daily&group_by=service"),
    );
    expect(byService.rows.map((r: { api_service_id: number }) => r.api_service_id)).toEqual([
      Number(services.a1.id),
      Number(services.a2.id),
    ]);
    const byDay = await readJson(
      await get(s1.key, "/api/v1/seller/usage/breakdown?period=daily&group_by=day"),
    );
    expect(byDay.rows).toEqual([expect.objectContaining({ day: today, calls: 4, total_tokens: 1107 })]);
  });

  it("ignores query parameters that try to widen the scope", async () => {
    const query = `?period=daily&seller_id=${s2.sellerId}&api_service_id=${services.b1.id}&buyer_id=${alice.buyerId}`;
    const body = await readJson(await sellerSummary(s1.key, query));
    expect(body).toMatchObject({ seller_id: Number(s1.sellerId), calls_made: 4, total_tokens: 1107 });
  });

  it("refuses buyer keys, revoked, unknown and missing seller keys", async () => {
    for (const key of [alice.key, revokedSellerKey, `tms_${"0".repeat(32)}`, "garbage"]) {
      const res = await sellerSummary(key);
      expect(res.status).toBe(401);
      expect((await readJson(res)).code).toBe("invalid_api_key");
    }
    const missing = await fetch(`${app.base}/api/v1/seller/usage/summary`);
    expect(missing.status).toBe(401);
    expect((await readJson(missing)).code).toBe("missing_api_key");
  });

  it("a seller key cannot read the buyer summary nor the admin API", async () => {
    expect((await get(s1.key, "/api/v1/usage/summary")).status).toBe(401);
    expect((await get(s1.key, "/admin/usage/summary")).status).toBe(401);
  });

  it("a buyer reads their usage across sellers; another buyer's usage never appears", async () => {
    const body = await readJson(await get(bob.key, "/api/v1/usage/summary?period=daily"));
    expect(body).toMatchObject({ calls_made: 3, total_tokens: 1009, indicative_cost_exact: "4.5" });
  });

  it("rejects a group_by a seller cannot use with 400", async () => {
    for (const groupBy of ["key", "seller", "api"]) {
      const res = await sellerSummary(s1.key, `?group_by=${groupBy}`);
      expect(res.status).toBe(400);
      expect((await readJson(res)).code).toBe("invalid_group_by");
    }
  });
});
