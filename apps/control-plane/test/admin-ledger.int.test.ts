import { randomUUID } from "node:crypto";
import type { Capture } from "@tokenmeter/capture";
import {
  type ConfigTopic,
  listenForConfigChanges,
  readConfigVersions,
  recordUsage,
  type UsageRow,
} from "@tokenmeter/db";
import { meterCapture, packCapture, syncBuiltinPrices } from "@tokenmeter/metering";
import { PriceBook } from "@tokenmeter/pricing";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import {
  cleanup,
  createBuyerWithKey,
  createService,
  readJson,
  startApp,
  type TestApp,
  unique,
} from "./helpers.js";

let app: TestApp;
let buyerId: bigint;
let serviceId: bigint;
const models: string[] = [];
const rules: string[] = [];

// Each test works in its own far-away hour, so windows never include another test's rows.
const hourAt = (n: number) =>
  new Date(Date.UTC(2090 + Math.floor(Math.random() * 9), 0, 1 + Math.floor(Math.random() * 360), n));

const body = (text: string) => ({
  size: Buffer.byteLength(text),
  head: Buffer.from(text).toString("base64"),
  tail: "",
  truncated: false,
  encoding: "identity",
});

function capture(at: Date, responseBody: string): Capture {
  return {
    v: 1,
    requestId: randomUUID(),
    receivedAt: at.toISOString(),
    buyerId: Number(buyerId),
    apiKeyId: 1,
    serviceId: Number(serviceId),
    serviceSlug: "svc",
    method: "POST",
    path: "/v1/acme/run",
    request: { contentType: "application/json", body: body("{}") },
    response: { status: 200, contentType: "application/json", body: body(responseBody) },
    streamed: false,
    upstreamReached: true,
    latencyMs: 5,
  };
}

function usageRow(
  at: Date,
  model: string,
  input: number,
  output: number,
  overrides: Partial<UsageRow> = {},
): UsageRow {
  return {
    requestId: randomUUID(),
    buyerUserId: BigInt(Number(buyerId)),
    apiKeyId: 1n,
    apiServiceId: BigInt(Number(serviceId)),
    requestTimestamp: at,
    httpMethod: "POST",
    path: "/v1/chat/completions",
    statusCode: 200,
    latencyMs: 5,
    ttfbMs: 1,
    streamed: false,
    upstreamReached: true,
    errorCode: null,
    modelName: model,
    inputTokens: input,
    outputTokens: output,
    totalTokens: input + output,
    cachedInputTokens: 0,
    cacheWriteTokens: 0,
    cacheWrite1hTokens: 0,
    reasoningTokens: 0,
    tokenCost: null,
    modelPriceId: null,
    usageSource: "reported",
    parser: "openai-chat",
    parseError: null,
    requestSizeBytes: 10,
    responseSizeBytes: 20,
    upstreamRequestId: null,
    ...overrides,
  };
}

const dayOf = (at: Date) => new Date(`${at.toISOString().slice(0, 10)}T00:00:00Z`);
const rollup = (at: Date, modelName: string) =>
  app.db.usageDailyRollup.findUnique({
    where: {
      buyerUserId_apiServiceId_day_modelName: {
        buyerUserId: buyerId,
        apiServiceId: serviceId,
        day: dayOf(at),
        modelName,
      },
    },
  });

const putPrice = (name: string, price: Record<string, unknown>) =>
  app.admin("PUT", `/admin/model-prices/${encodeURIComponent(name)}`, price);

beforeAll(async () => {
  app = await startApp();
  await syncBuiltinPrices(app.db);
  buyerId = (await createBuyerWithKey(app.db)).buyerId;
  serviceId = (await createService(app.db)).id;
});

afterAll(async () => {
  await app.db.usageCapture.deleteMany({ where: { apiServiceId: serviceId } });
  await app.db.modelPrice.deleteMany({ where: { model: { in: models } } });
  await app.db.usageRule.deleteMany({ where: { name: { in: rules } } });
  await cleanup(app.db, [buyerId], [serviceId]);
  await app.close();
});

describe("unpriced models", () => {
  it("lists each model with tokens and no price: calls, tokens, first and last seen", async () => {
    const name = `mystery-${unique()}`;
    const t0 = hourAt(1);
    const t1 = new Date(t0.getTime() + 60_000);
    await recordUsage(app.db, [
      usageRow(t0, name, 10, 5),
      usageRow(t1, name, 1, 1),
      usageRow(t1, name, 0, 0, { tokenCost: "0" }),
      usageRow(t1, "gpt-4", 1, 1, { tokenCost: "0.00009", modelPriceId: 1n }),
    ]);
    const res = await app.admin(
      "GET",
      `/admin/unpriced-models?from=${t0.toISOString()}&to=${new Date(t1.getTime() + 1).toISOString()}`,
    );
    expect(res.status).toBe(200);
    expect(await readJson(res)).toEqual([
      {
        model_name: name,
        calls: 2,
        input_tokens: 11,
        output_tokens: 6,
        total_tokens: 17,
        first_seen: t0.toISOString(),
        last_seen: t1.toISOString(),
      },
    ]);
  });
});

describe("reprice", () => {
  it("shows the diff on a dry run, applies it with rollups once, and changes nothing the second time", async () => {
    const name = `custom-${unique()}`;
    models.push(name);
    const t0 = hourAt(2);
    const rows = [
      usageRow(t0, name, 1000, 0),
      usageRow(t0, `${name}-20250101`, 0, 1000),
      usageRow(t0, name, 1, 0),
    ];
    await recordUsage(app.db, rows);
    // Before the price exists: effective an hour before the rows; a later version applies only after them.
    expect(
      (
        await putPrice(name, {
          input_cost_per_1k: "0.1",
          output_cost_per_1k: "0.3",
          effective_from: new Date(t0.getTime() - 3_600_000).toISOString(),
        })
      ).status,
    ).toBe(201);
    await putPrice(name, {
      input_cost_per_1k: "9",
      output_cost_per_1k: "9",
      effective_from: new Date(t0.getTime() + 1).toISOString(),
    });
    const window = {
      from: new Date(t0.getTime() - 1000).toISOString(),
      to: new Date(t0.getTime() + 1000).toISOString(),
      model: name,
      api_service_id: Number(serviceId),
    };
    const dry = await readJson(await app.admin("POST", "/admin/reprice", { ...window, dry_run: true }));
    // 1000 × 0.1/1K + 1000 × 0.3/1K (dated snapshot) + 1 × 0.1/1K, at the price effective at each row's time.
    expect(dry).toMatchObject({
      dry_run: true,
      adjustment_id: null,
      rows_scanned: 3,
      rows_changed: 3,
      old_total: "0",
      new_total: "0.4001",
      difference: "0.4001",
      unpriced_before: 3,
      unpriced_after: 0,
    });
    expect(dry.by_model.map((m: { model: string }) => m.model)).toEqual([name, `${name}-20250101`]);
    expect((await rollup(t0, name))?.unpricedCalls).toBe(2n);

    const applied = await readJson(
      await app.admin("POST", "/admin/reprice", { ...window, dry_run: false, actor: "ops@example.com" }),
    );
    expect(applied).toMatchObject({ dry_run: false, rows_changed: 3, new_total: "0.4001" });
    const stored = await app.db.usageLog.findFirst({ where: { requestId: rows[0]!.requestId } });
    expect(stored?.tokenCost?.toFixed()).toBe("0.1");
    expect(stored?.modelPriceId).not.toBeNull();
    const r = await rollup(t0, name);
    expect(r?.unpricedCalls).toBe(0n);
    expect(r?.tokenCost.toFixed()).toBe("0.1001");
    expect((await rollup(t0, `${name}-20250101`))?.tokenCost.toFixed()).toBe("0.3");

    const again = await readJson(await app.admin("POST", "/admin/reprice", { ...window, dry_run: false }));
    expect(again).toMatchObject({
      rows_scanned: 3,
      rows_changed: 0,
      old_total: "0.4001",
      new_total: "0.4001",
    });
    expect((await rollup(t0, name))?.tokenCost.toFixed()).toBe("0.1001");

    const audit = await readJson(await app.admin("GET", "/admin/ledger-adjustments?limit=500"));
    const mine = audit.find((a: { id: number }) => a.id === applied.adjustment_id);
    expect(mine).toMatchObject({
      kind: "reprice",
      status: "done",
      rows_changed: 3,
      old_total: "0",
      new_total: "0.4001",
      params: { model: name, api_service_id: Number(serviceId) },
    });
    expect(mine.actor).toContain("ops@example.com");
  });

  it("works through a window larger than one chunk without missing or repeating a row", async () => {
    const name = `bulk-${unique()}`;
    models.push(name);
    const t0 = hourAt(3);
    const rows = Array.from({ length: 1203 }, (_, i) => usageRow(new Date(t0.getTime() + i), name, 3, 0));
    await recordUsage(app.db, rows);
    await putPrice(name, {
      input_cost_per_1k: "1",
      output_cost_per_1k: "1",
      effective_from: "2000-01-01T00:00:00Z",
    });
    const res = await readJson(
      await app.admin("POST", "/admin/reprice", {
        from: t0.toISOString(),
        to: new Date(t0.getTime() + 5000).toISOString(),
        model: name,
        dry_run: false,
      }),
    );
    expect(res).toMatchObject({ rows_scanned: 1203, rows_changed: 1203, new_total: "3.609" });
    const r = await rollup(t0, name);
    expect(r?.tokenCost.toFixed()).toBe("3.609");
    expect(r?.unpricedCalls).toBe(0n);
  });

  it("rejects a window that ends before it starts, and an unknown service", async () => {
    const bad = await app.admin("POST", "/admin/reprice", {
      from: "2030-01-02T00:00:00Z",
      to: "2030-01-01T00:00:00Z",
    });
    expect(bad.status).toBe(400);
    expect((await readJson(bad)).code).toBe("invalid_range");
    const unknown = await app.admin("POST", "/admin/reprice", {
      from: "2030-01-01T00:00:00Z",
      to: "2030-01-02T00:00:00Z",
      api_service_id: 987654321,
    });
    expect(unknown.status).toBe(404);
  });
});

describe("remeter", () => {
  it("re-parses retained captures after a usage rule is added: dry run, apply, idempotent", async () => {
    const t0 = hourAt(4);
    const text = '{"result":"ok","meter":{"tin":1200,"tout":300},"engine":"gpt-4"}';
    const c = capture(t0, text);
    const metered = meterCapture(c, { prices: new PriceBook([]) });
    expect(metered.row.usageSource).toBe("none");
    await recordUsage(app.db, [{ ...metered.row, retainedCapture: await packCapture(c) }]);
    const window = { from: t0.toISOString(), to: new Date(t0.getTime() + 1).toISOString() };

    const before = await readJson(await app.admin("POST", "/admin/remeter", { ...window }));
    expect(before).toMatchObject({ dry_run: true, rows_scanned: 1, rows_changed: 0, unreadable_captures: 0 });

    const rule = `acme-${unique()}`;
    rules.push(rule);
    const put = await app.admin("PUT", `/admin/usage-rules/${rule}`, {
      input_tokens: '"tin":(\\d+)',
      output_tokens: '"tout":(\\d+)',
      model: '"engine":"([^"]+)"',
      api_service_id: Number(serviceId),
    });
    expect(put.status).toBe(201);

    const dry = await readJson(await app.admin("POST", "/admin/remeter", { ...window, dry_run: true }));
    // 1200 × 0.03/1K + 300 × 0.06/1K (gpt-4, the seed's price)
    expect(dry).toMatchObject({ rows_changed: 1, old_total: "0", new_total: "0.054" });
    expect((await app.db.usageLog.findFirst({ where: { requestId: c.requestId } }))?.usageSource).toBe(
      "none",
    );

    const applied = await readJson(await app.admin("POST", "/admin/remeter", { ...window, dry_run: false }));
    expect(applied).toMatchObject({ rows_changed: 1, new_total: "0.054" });
    const row = await app.db.usageLog.findFirst({ where: { requestId: c.requestId } });
    expect(row).toMatchObject({
      usageSource: "rule",
      parser: `rule:${rule}`,
      modelName: "gpt-4",
      inputTokens: 1200,
    });
    expect(row?.tokenCost?.toFixed()).toBe("0.054");
    // The row moved from the unknown-model rollup to gpt-4's.
    expect((await rollup(t0, "gpt-4"))?.tokenCost.toFixed()).toBe("0.054");
    expect(await rollup(t0, "")).toBeNull();

    const again = await readJson(await app.admin("POST", "/admin/remeter", { ...window, dry_run: false }));
    expect(again).toMatchObject({ rows_scanned: 1, rows_changed: 0 });
    expect((await rollup(t0, "gpt-4"))?.calls).toBe(1n);
  });
});

describe("announcements", () => {
  it("counts and announces price, rule and service changes to listening workers", async () => {
    const heard = new Set<string>();
    let allHeard: () => void = () => {};
    const heardAll = new Promise<void>((resolve) => {
      allHeard = resolve;
    });
    const listener = listenForConfigChanges({
      databaseUrl: inject("databaseUrl"),
      onChange: (topic, version) => {
        heard.add(version === undefined ? topic : `${topic}:${version}`);
        if (["prices", "rules", "services"].every((t) => [...heard].some((h) => h.startsWith(`${t}:`))))
          allHeard();
      },
    });
    await listener.ready;
    // Each change moves its own topic's counter (other test files may move them too, never back).
    const moved = async (topic: ConfigTopic, change: () => Promise<unknown>) => {
      const before = (await readConfigVersions(app.db)).get(topic) ?? 0n;
      await change();
      const after = (await readConfigVersions(app.db)).get(topic) ?? 0n;
      expect(after, topic).toBeGreaterThan(before);
      return after;
    };
    const name = `announced-${unique()}`;
    models.push(name);
    await moved("prices", () => putPrice(name, { input_cost_per_1k: "1", output_cost_per_1k: "1" }));
    const rule = `announced-${unique()}`;
    rules.push(rule);
    await moved("rules", () =>
      app.admin("PUT", `/admin/usage-rules/${rule}`, { total_tokens: '"t":(\\d+)' }),
    );
    await moved("services", () =>
      app.admin("PATCH", `/admin/api-services/${serviceId}`, { truncated_stream_policy: "zero" }),
    );
    await heardAll;
    expect([...heard][0]).toBe("all");
    await listener.close();
  });
});
