import { randomUUID } from "node:crypto";
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
import { recordTotals } from "./usage-rows.js";

let app: TestApp;
let buyerA: bigint;
let buyerB: bigint;
let buyerLogs: bigint;
let s1: { id: bigint; name: string };
let s2: { id: bigint; name: string };
const today = dayOffset(0);
const twoDaysAgo = dayOffset(-2);
const range = `from=${twoDaysAgo}&to=${today}`;

async function json(path: string) {
  const res = await app.admin("GET", path);
  expect(res.status).toBe(200);
  return readJson(res);
}

beforeAll(async () => {
  app = await startApp();
  s1 = await createService(app.db);
  s2 = await createService(app.db);
  buyerA = (await createBuyerWithKey(app.db)).buyerId;
  buyerB = (await createBuyerWithKey(app.db)).buyerId;
  // Raw rows of their own for the logs route (the fixtures above are real rows too).
  buyerLogs = (await createBuyerWithKey(app.db)).buyerId;
  const row = (
    buyerUserId: bigint,
    apiServiceId: bigint,
    day: string,
    modelName: string,
    calls: number,
    cost: string,
  ) =>
    recordTotals(app.db, { buyerId: buyerUserId, serviceId: apiServiceId }, day, modelName, {
      calls,
      errorCalls: 1,
      inputTokens: calls * 10,
      outputTokens: calls,
      totalTokens: calls * 11,
      tokenCost: cost,
    });
  await row(buyerA, s1.id, today, "m-1", 2, "0.1");
  await row(buyerA, s2.id, twoDaysAgo, "m-2", 3, "0.2");
  await row(buyerB, s1.id, today, "m-1", 5, "0.0000000001");
  await row(buyerB, s1.id, today, "", 1, "0");
  for (let i = 0; i < 3; i++) {
    await app.db.usageLog.create({
      data: {
        requestId: randomUUID(),
        buyerUserId: buyerLogs,
        apiKeyId: 1n,
        apiServiceId: s1.id,
        requestTimestamp: new Date(),
        httpMethod: "POST",
        path: "/v1/chat/completions",
        statusCode: 200,
        latencyMs: 12 + i,
        modelName: "m-1",
        inputTokens: 10,
        outputTokens: 1,
        totalTokens: 11,
        tokenCost: "0.0000000025",
      },
    });
  }
});

afterAll(async () => {
  await cleanup(app.db, [buyerA, buyerB, buyerLogs], [s1.id, s2.id]);
  await app.close();
});

describe("GET /admin/usage/summary", () => {
  it("gives one buyer's summary in the buyer summary's shape", async () => {
    const body = await json(`/admin/usage/summary?buyer_id=${buyerA}&${range}`);
    expect(body).toMatchObject({
      period: "custom",
      buyer_id: Number(buyerA),
      calls_made: 5,
      total_tokens: 55,
      indicative_cost: 0.3,
      indicative_cost_exact: "0.3",
    });
    expect(body.usage_details_by_api.map((d: { api_service_id: number }) => d.api_service_id)).toEqual([
      Number(s1.id),
      Number(s2.id),
    ]);
  });

  it("filters by api_service_id and covers every buyer without buyer_id", async () => {
    const one = await json(`/admin/usage/summary?buyer_id=${buyerB}&api_service_id=${s1.id}&period=daily`);
    expect(one).toMatchObject({ calls_made: 6, unpriced_calls: 0, indicative_cost_exact: "0.0000000001" });
    const all = await json(`/admin/usage/summary?api_service_id=${s1.id}&period=daily`);
    expect(all).toMatchObject({ buyer_id: null, calls_made: 8, indicative_cost_exact: "0.1000000001" });
  });

  it("rejects a bad period or a non-numeric buyer_id with 400", async () => {
    expect((await app.admin("GET", "/admin/usage/summary?period=yearly")).status).toBe(400);
    expect((await app.admin("GET", "/admin/usage/summary?buyer_id=abc")).status).toBe(400);
  });
});

describe("GET /admin/usage/breakdown", () => {
  const filter = () => `api_service_id=${s1.id}&period=daily`;

  it("groups by buyer with names", async () => {
    const body = await json(`/admin/usage/breakdown?group_by=buyer&${filter()}`);
    expect(body).toMatchObject({ group_by: "buyer", period: "daily", from: today, to: today });
    expect(body.rows).toEqual([
      expect.objectContaining({
        buyer_id: Number(buyerA),
        buyer_name: expect.any(String),
        calls: 2,
        token_cost: 0.1,
      }),
      expect.objectContaining({
        buyer_id: Number(buyerB),
        calls: 6,
        error_calls: 2,
        token_cost_exact: "0.0000000001",
      }),
    ]);
  });

  it("groups by service, model and day", async () => {
    const services = await json(`/admin/usage/breakdown?group_by=service&buyer_id=${buyerA}&${range}`);
    expect(services.rows).toEqual([
      expect.objectContaining({ api_service_id: Number(s1.id), api_service_name: s1.name, calls: 2 }),
      expect.objectContaining({ api_service_id: Number(s2.id), api_service_name: s2.name, calls: 3 }),
    ]);
    const models = await json(`/admin/usage/breakdown?group_by=model&buyer_id=${buyerB}&period=daily`);
    expect(models.rows).toEqual([
      expect.objectContaining({ model_name: null, calls: 1 }),
      expect.objectContaining({
        model_name: "m-1",
        calls: 5,
        input_tokens: 50,
        output_tokens: 5,
        total_tokens: 55,
      }),
    ]);
    const days = await json(`/admin/usage/breakdown?group_by=day&buyer_id=${buyerA}&${range}`);
    expect(days.rows.map((r: { day: string; calls: number }) => [r.day, r.calls])).toEqual([
      [twoDaysAgo, 3],
      [today, 2],
    ]);
  });

  it("rejects an unknown group_by with 400 invalid_group_by", async () => {
    const res = await app.admin("GET", "/admin/usage/breakdown?group_by=planet");
    expect(res.status).toBe(400);
    expect((await readJson(res)).code).toBe("invalid_group_by");
  });
});

describe("GET /admin/usage/logs", () => {
  it("returns raw rows newest first and pages with before_id", async () => {
    const first = await json(`/admin/usage/logs?buyer_id=${buyerLogs}&limit=2`);
    expect(first.rows).toHaveLength(2);
    expect(first.rows[0].id).toBeGreaterThan(first.rows[1].id);
    expect(first.rows[0]).toMatchObject({
      buyer_id: Number(buyerLogs),
      api_service_id: Number(s1.id),
      model_name: "m-1",
      token_cost: 0.0000000025,
      token_cost_exact: "0.0000000025",
    });
    expect(first.next_before_id).toBe(first.rows[1].id);
    const second = await json(
      `/admin/usage/logs?buyer_id=${buyerLogs}&limit=2&before_id=${first.next_before_id}`,
    );
    expect(second.rows).toHaveLength(1);
    expect(second.next_before_id).toBeNull();
  });

  it("caps limit at 500", async () => {
    expect((await app.admin("GET", "/admin/usage/logs?limit=501")).status).toBe(400);
    expect((await app.admin("GET", `/admin/usage/logs?limit=500&buyer_id=${buyerB}`)).status).toBe(200);
  });
});
