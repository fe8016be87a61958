import { normaliseModelName } from "@tokenmeter/pricing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readJson, startApp, type TestApp, unique } from "./helpers.js";

let app: TestApp;
const models: string[] = [];

function model(name = `test-model-${unique()}`) {
  models.push(name, normaliseModelName(name));
  return name;
}

const put = (name: string, body: unknown) =>
  app.admin("PUT", `/admin/model-prices/${encodeURIComponent(name)}`, body);

beforeAll(async () => {
  app = await startApp();
});

afterAll(async () => {
  await app.db.modelPrice.deleteMany({ where: { model: { in: models } } });
  await app.close();
});

describe("admin model prices", () => {
  it("adds a custom version per PUT and lists them newest first with exact decimal strings", async () => {
    const name = model();
    const first = await put(name, { input_cost_per_1k: "0.00015", output_cost_per_1k: "0.0006" });
    expect(first.status).toBe(201);
    expect(await readJson(first)).toMatchObject({
      model: name,
      source: "custom",
      input_cost_per_1k: "0.00015",
      output_cost_per_1k: "0.0006",
      cached_input_cost_per_1k: null,
      cache_write_cost_per_1k: null,
    });
    // Sent back to back on purpose: versions must not collide on the millisecond.
    const second = await put(name, {
      input_cost_per_1k: 0.0000000001,
      output_cost_per_1k: 12,
      cached_input_cost_per_1k: "0.000075",
      cache_write_cost_per_1k: 0,
    });
    expect(second.status).toBe(201);
    const list = await readJson(
      await app.admin("GET", `/admin/model-prices?model=${encodeURIComponent(name)}`),
    );
    expect(list).toHaveLength(2);
    expect(list[0]).toMatchObject({
      input_cost_per_1k: "0.0000000001",
      output_cost_per_1k: "12",
      cached_input_cost_per_1k: "0.000075",
      cache_write_cost_per_1k: "0",
    });
    expect(list[1].input_cost_per_1k).toBe("0.00015");
    expect(Date.parse(list[0].effective_from)).toBeGreaterThan(Date.parse(list[1].effective_from));
    expect(await app.db.modelPrice.count({ where: { model: name, source: "custom" } })).toBe(2);
  });

  it("stores URL-decoded model names in the pricing package's canonical form", async () => {
    const vendor = model(`OpenAI/GPT-${unique()}`);
    const res = await put(vendor, { input_cost_per_1k: "1", output_cost_per_1k: "2" });
    expect((await readJson(res)).model).toBe(vendor.slice("OpenAI/".length).toLowerCase());
    const org = model(`meta-llama/llama-${unique()}`);
    const orgRes = await put(org, { input_cost_per_1k: "1", output_cost_per_1k: "2" });
    expect((await readJson(orgRes)).model).toBe(org);
    const listed = await readJson(
      await app.admin("GET", `/admin/model-prices?model=${encodeURIComponent(vendor)}`),
    );
    expect(listed).toHaveLength(1);
  });

  it("honours an explicit effective_from and answers 409 for a duplicate version", async () => {
    const name = model(`gpt-${unique()}:latest`);
    const res = await put(name, {
      input_cost_per_1k: "1",
      output_cost_per_1k: "2",
      effective_from: "2030-01-01T00:00:00Z",
    });
    expect(res.status).toBe(201);
    expect(await readJson(res)).toMatchObject({ model: name, effective_from: "2030-01-01T00:00:00.000Z" });
    const dup = await put(name, {
      input_cost_per_1k: "1",
      output_cost_per_1k: "2",
      effective_from: "2030-01-01T00:00:00Z",
    });
    expect(dup.status).toBe(409);
  });

  it("lists builtin and custom versions together, newest effective_from first", async () => {
    const name = model();
    await app.db.modelPrice.create({
      data: {
        model: name,
        source: "builtin",
        inputCostPer1k: "0.5",
        outputCostPer1k: "1.5",
        effectiveFrom: new Date("2020-01-01T00:00:00Z"),
      },
    });
    await put(name, { input_cost_per_1k: "0.4", output_cost_per_1k: "1.2" });
    const list = await readJson(
      await app.admin("GET", `/admin/model-prices?model=${encodeURIComponent(name)}`),
    );
    expect(list.map((p: { source: string }) => p.source)).toEqual(["custom", "builtin"]);
    const all = await readJson(await app.admin("GET", "/admin/model-prices"));
    expect(all.filter((p: { model: string }) => p.model === name)).toHaveLength(2);
  });

  it.each([
    ["a negative rate", "-1"],
    ["11 decimal places", "0.00000000001"],
    ["a non-number string", "abc"],
    ["hex text", "0x10"],
    ["a rate above 1000 USD per 1K", "1000.5"],
    ["a boolean", true],
    ["Infinity text", "Infinity"],
    ["null", null],
  ])("rejects %s with 400 invalid_rate", async (_what, rate) => {
    const name = model();
    const res = await put(name, { input_cost_per_1k: rate, output_cost_per_1k: "1" });
    expect(res.status).toBe(400);
    expect(await readJson(res)).toEqual({ code: "invalid_rate", message: expect.any(String) });
    expect(await app.db.modelPrice.count({ where: { model: name } })).toBe(0);
  });

  it("takes a 1-hour cache-write rate and long-context tiers, stored and listed as exact decimal strings", async () => {
    const name = model();
    const res = await put(name, {
      input_cost_per_1k: "0.003",
      output_cost_per_1k: "0.015",
      cache_write_cost_per_1k: "0.00375",
      cache_write_1h_cost_per_1k: 0.006,
      tiers: [
        {
          above_input_tokens: 200000,
          input_cost_per_1k: 0.006,
          output_cost_per_1k: "0.0225",
          cache_write_1h_cost_per_1k: "0.012",
        },
      ],
    });
    expect(res.status).toBe(201);
    const tiers = [
      {
        above_input_tokens: 200000,
        input_cost_per_1k: "0.006",
        output_cost_per_1k: "0.0225",
        cached_input_cost_per_1k: null,
        cache_write_cost_per_1k: null,
        cache_write_1h_cost_per_1k: "0.012",
      },
    ];
    expect(await readJson(res)).toMatchObject({ cache_write_1h_cost_per_1k: "0.006", tiers });
    const [listed] = await readJson(
      await app.admin("GET", `/admin/model-prices?model=${encodeURIComponent(name)}`),
    );
    expect(listed).toMatchObject({ cache_write_1h_cost_per_1k: "0.006", tiers });
    const row = await app.db.modelPrice.findFirstOrThrow({ where: { model: name } });
    expect(row.cacheWrite1hCostPer1k?.toFixed()).toBe("0.006");
    expect(row.tiers).toEqual(tiers);

    const flat = await put(name, { input_cost_per_1k: "1", output_cost_per_1k: "1", tiers: [] });
    expect(await readJson(flat)).toMatchObject({ cache_write_1h_cost_per_1k: null, tiers: null });
  });

  it.each([
    ["not an array", { above_input_tokens: 1 }],
    ["a zero threshold", [{ above_input_tokens: 0, input_cost_per_1k: "1", output_cost_per_1k: "1" }]],
    ["a missing output rate", [{ above_input_tokens: 10, input_cost_per_1k: "1" }]],
    [
      "an over-precise rate",
      [{ above_input_tokens: 10, input_cost_per_1k: "0.00000000001", output_cost_per_1k: "1" }],
    ],
    [
      "an unknown field",
      [{ above_input_tokens: 10, input_cost_per_1k: "1", output_cost_per_1k: "1", price: 1 }],
    ],
    [
      "thresholds out of order",
      [
        { above_input_tokens: 20, input_cost_per_1k: "1", output_cost_per_1k: "1" },
        { above_input_tokens: 10, input_cost_per_1k: "1", output_cost_per_1k: "1" },
      ],
    ],
  ])("rejects tiers with %s with 400 invalid_tiers", async (_what, tiers) => {
    const name = model();
    const res = await put(name, { input_cost_per_1k: "1", output_cost_per_1k: "1", tiers });
    expect(res.status).toBe(400);
    expect(await readJson(res)).toEqual({ code: "invalid_tiers", message: expect.any(String) });
    expect(await app.db.modelPrice.count({ where: { model: name } })).toBe(0);
  });

  it("rejects a malformed 1-hour cache-write rate with 400 invalid_rate", async () => {
    const res = await put(model(), {
      input_cost_per_1k: "1",
      output_cost_per_1k: "1",
      cache_write_1h_cost_per_1k: "-1",
    });
    expect(res.status).toBe(400);
    expect((await readJson(res)).code).toBe("invalid_rate");
  });

  it("rejects a missing output rate with 400", async () => {
    const res = await put(model(), { input_cost_per_1k: "1" });
    expect(res.status).toBe(400);
    expect((await readJson(res)).code).toBe("invalid_rate");
  });
});
