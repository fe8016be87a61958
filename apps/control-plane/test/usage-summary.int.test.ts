import { generateApiKey } from "@tokenmeter/keys";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  cleanup,
  createBuyerWithKey,
  createService,
  dayOffset,
  readJson,
  startApp,
  type TestApp,
} from "./helpers.js";
import { type FixtureTotals, recordTotals } from "./usage-rows.js";

let app: TestApp;
const buyers: bigint[] = [];
const services: bigint[] = [];
let keyA = "";
let keyB = "";
let revokedKey = "";
let s1: { id: bigint; name: string };
let s2: { id: bigint; name: string };

const today = dayOffset(0);
const yesterday = dayOffset(-1);
const lastMonth = (() => {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1)).toISOString().slice(0, 10);
})();
const sameMonth = (day: string) => day.slice(0, 7) === today.slice(0, 7);

function rollup(buyerId: bigint, serviceId: bigint, day: string, modelName: string, values: FixtureTotals) {
  return recordTotals(app.db, { buyerId, serviceId }, day, modelName, values);
}

const summary = (key: string, query = "", header: "bearer" | "x-api-key" = "bearer") =>
  fetch(`${app.base}/api/v1/usage/summary${query}`, {
    headers: header === "bearer" ? { authorization: `Bearer ${key}` } : { "x-api-key": key },
  });

beforeAll(async () => {
  app = await startApp();
  s1 = await createService(app.db);
  s2 = await createService(app.db);
  services.push(s1.id, s2.id);
  const a = await createBuyerWithKey(app.db);
  const b = await createBuyerWithKey(app.db);
  buyers.push(a.buyerId, b.buyerId);
  keyA = a.key;
  keyB = b.key;
  const revoked = generateApiKey();
  await app.db.apiKey.create({
    data: { buyerId: a.buyerId, keyHash: revoked.hash, prefix: revoked.prefix, revokedAt: new Date() },
  });
  revokedKey = revoked.key;

  const tokens = (input: number, output: number) => ({
    inputTokens: input,
    outputTokens: output,
    totalTokens: input + output,
  });
  await rollup(a.buyerId, s1.id, today, "gpt-4o-mini", {
    calls: 3,
    errorCalls: 1,
    ...tokens(100, 50),
    tokenCost: "0.00000025",
  });
  await rollup(a.buyerId, s1.id, today, "", { calls: 2, unpricedCalls: 2, ...tokens(10, 0) });
  await rollup(a.buyerId, s2.id, today, "claude-x", { calls: 1, ...tokens(7, 3), tokenCost: "0.0000005" });
  await rollup(a.buyerId, s2.id, yesterday, "claude-x", {
    calls: 4,
    ...tokens(30, 10),
    tokenCost: "1.1234567891",
  });
  await rollup(a.buyerId, s1.id, lastMonth, "gpt-4o-mini", {
    calls: 100,
    ...tokens(600, 400),
    tokenCost: "5",
  });
  await rollup(b.buyerId, s1.id, today, "gpt-4o-mini", {
    calls: 50,
    ...tokens(4000, 1000),
    tokenCost: "9.9",
  });
});

afterAll(async () => {
  await cleanup(app.db, buyers, services);
  await app.close();
});

describe("GET /api/v1/usage/summary", () => {
  it("daily covers only today's rollups and sums costs exactly, per API ordered by service id", async () => {
    const res = await summary(keyA, "?period=daily");
    expect(res.status).toBe(200);
    const body = await readJson(res);
    expect(body).toMatchObject({
      period: "daily",
      from: today,
      to: today,
      calls_made: 6,
      error_calls: 1,
      unpriced_calls: 2,
      total_tokens: 170,
      input_tokens: 117,
      output_tokens: 53,
      indicative_cost: 0.00000075,
      indicative_cost_exact: "0.00000075",
    });
    expect(body.usage_details_by_api).toEqual([
      expect.objectContaining({
        api_service_id: Number(s1.id),
        api_service_name: s1.name,
        calls: 5,
        total_tokens: 160,
        token_cost: 0.00000025,
        error_calls: 1,
        unpriced_calls: 2,
      }),
      expect.objectContaining({
        api_service_id: Number(s2.id),
        api_service_name: s2.name,
        calls: 1,
        total_tokens: 10,
        token_cost: 0.0000005,
      }),
    ]);
  });

  it("defaults to monthly: the current UTC calendar month, excluding last month", async () => {
    const body = await readJson(await summary(keyA));
    const withYesterday = sameMonth(yesterday);
    expect(body.period).toBe("monthly");
    expect(body.from).toBe(`${today.slice(0, 7)}-01`);
    expect(body.calls_made).toBe(withYesterday ? 10 : 6);
    expect(body.total_tokens).toBe(withYesterday ? 210 : 170);
    expect(body.indicative_cost_exact).toBe(withYesterday ? "1.1234575391" : "0.00000075");
    expect(body.indicative_cost).toBe(withYesterday ? 1.1234575391 : 0.00000075);
  });

  it("from/to select an inclusive custom range and report period custom", async () => {
    const onlyYesterday = await readJson(await summary(keyA, `?from=${yesterday}&to=${yesterday}`));
    expect(onlyYesterday).toMatchObject({ period: "custom", from: yesterday, to: yesterday, calls_made: 4 });
    expect(onlyYesterday.usage_details_by_api).toEqual([
      expect.objectContaining({ api_service_id: Number(s2.id), calls: 4, token_cost: 1.1234567891 }),
    ]);
    const all = await readJson(await summary(keyA, `?from=${lastMonth}&to=${today}`));
    expect(all).toMatchObject({ calls_made: 110, total_tokens: 1210, indicative_cost_exact: "6.1234575391" });
  });

  it("shows a buyer only their own usage", async () => {
    const body = await readJson(await summary(keyB, "?period=daily"));
    expect(body).toMatchObject({ calls_made: 50, total_tokens: 5000, indicative_cost: 9.9 });
    expect(body.usage_details_by_api).toHaveLength(1);
    const aBody = await readJson(await summary(keyA, "?period=daily"));
    expect(aBody.usage_details_by_api.every((d: { calls: number }) => d.calls < 50)).toBe(true);
  });

  it("accepts the key in x-api-key", async () => {
    const res = await summary(keyB, "?period=daily", "x-api-key");
    expect(res.status).toBe(200);
    expect((await readJson(res)).calls_made).toBe(50);
  });

  it("reports zeros and an empty list for a period without usage", async () => {
    const body = await readJson(await summary(keyB, "?from=2001-01-01&to=2001-01-31"));
    expect(body).toMatchObject({
      calls_made: 0,
      total_tokens: 0,
      indicative_cost: 0,
      usage_details_by_api: [],
    });
  });

  it.each([
    ["revoked", () => revokedKey],
    ["unknown", () => "tm_00000000000000000000000000000000"],
    ["malformed", () => "not-a-key"],
  ])("answers 401 with {code, message} for a %s key", async (_what, key) => {
    const res = await summary(key());
    expect(res.status).toBe(401);
    expect(await readJson(res)).toEqual({ code: "invalid_api_key", message: expect.any(String) });
  });

  it("answers 401 missing_api_key without a key", async () => {
    const res = await fetch(`${app.base}/api/v1/usage/summary`);
    expect(res.status).toBe(401);
    expect((await readJson(res)).code).toBe("missing_api_key");
  });

  it("rejects an unknown period with 400 invalid_period", async () => {
    const res = await summary(keyA, "?period=weekly");
    expect(res.status).toBe(400);
    expect(await readJson(res)).toEqual({ code: "invalid_period", message: expect.any(String) });
  });

  it("rejects malformed or reversed dates with 400", async () => {
    expect((await readJson(await summary(keyA, "?from=2025-02-30"))).code).toBe("invalid_date");
    expect((await readJson(await summary(keyA, `?from=${today}&to=${yesterday}`))).code).toBe(
      "invalid_range",
    );
  });
});
