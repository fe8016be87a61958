import { randomUUID } from "node:crypto";
import { createDbClient, type DbClient, Prisma } from "@tokenmeter/db";
import { BUILTIN_PRICES } from "@tokenmeter/pricing";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { loadPriceBook, syncBuiltinPrices } from "../src/price-table.js";

let db: DbClient;
const NOW = new Date("2026-11-30T00:00:00Z");
const suffix = randomUUID().slice(0, 8);

beforeAll(async () => {
  db = createDbClient({ databaseUrl: inject("databaseUrl") });
  await syncBuiltinPrices(db);
});

afterAll(async () => {
  await db.modelPrice.deleteMany({ where: { model: { endsWith: suffix } } });
  await db.$disconnect();
});

describe("built-in prices in model_prices", () => {
  it("stores every shipped version once, and a second sync changes nothing", async () => {
    expect(
      await db.modelPrice.count({
        where: { source: "builtin", model: { in: BUILTIN_PRICES.map((b) => b.model) } },
      }),
    ).toBe(BUILTIN_PRICES.length);
    expect(await syncBuiltinPrices(db)).toEqual({ added: 0, corrected: 0 });
  });

  it("stores tiers as JSON and 1-hour cache-write rates as decimals", async () => {
    const gemini = await db.modelPrice.findFirstOrThrow({
      where: { model: "gemini-2.5-pro", source: "builtin" },
    });
    expect(gemini.tiers).toEqual([
      {
        above_input_tokens: 200000,
        input_cost_per_1k: "0.0025",
        output_cost_per_1k: "0.015",
        cached_input_cost_per_1k: "0.00025",
        cache_write_cost_per_1k: null,
        cache_write_1h_cost_per_1k: null,
      },
    ]);
    const sonnet = await db.modelPrice.findFirstOrThrow({
      where: { model: "claude-sonnet-4", source: "builtin" },
    });
    expect(sonnet.cacheWrite1hCostPer1k?.toFixed()).toBe("0.006");
    expect(sonnet.tiers).toBeNull();
    expect(sonnet.origin).toMatch(
      /^@pydantic\/genai-prices 0\.1\.8 \(2026-09-23\): anthropic\/claude-sonnet-4-0/,
    );
  });

  it("corrects a stored built-in version whose rates differ from this release's", async () => {
    const row = await db.modelPrice.findFirstOrThrow({ where: { model: "grok-3-mini", source: "builtin" } });
    await db.modelPrice.update({
      where: { id: row.id },
      data: { inputCostPer1k: "9", cacheWrite1hCostPer1k: "1", tiers: [{ above_input_tokens: 1 }] },
    });
    // At most this one: a worker starting beside this file runs the same sync and may correct it first.
    const synced = await syncBuiltinPrices(db);
    expect(synced.added).toBe(0);
    expect(synced.corrected).toBeLessThanOrEqual(1);
    const fixed = await db.modelPrice.findUniqueOrThrow({ where: { id: row.id } });
    expect(fixed.inputCostPer1k.toFixed()).toBe("0.0003");
    expect(fixed.cacheWrite1hCostPer1k).toBeNull();
    expect(fixed.tiers).toBeNull();
  });

  it("loads stored rows with their ids, tiers and 1-hour rates", async () => {
    const book = await loadPriceBook(db);
    const gemini = book.find("models/gemini-2.5-pro", NOW);
    expect(gemini?.id).not.toBeNull();
    expect(gemini?.tiers.map((t) => [t.aboveInputTokens, t.usdPer1kInputTokens.toFixed()])).toEqual([
      [200000, "0.0025"],
    ]);
    expect(book.find("claude-sonnet-4-20250514", NOW)?.usdPer1kCacheWrite1hTokens?.toFixed()).toBe("0.006");
  });

  it("does not apply a stored built-in version this release no longer ships", async () => {
    const model = `retired-model-${suffix}`;
    await db.modelPrice.create({
      data: {
        model,
        source: "builtin",
        inputCostPer1k: "1",
        outputCostPer1k: "1",
        effectiveFrom: new Date(0),
      },
    });
    expect((await loadPriceBook(db)).find(model, NOW)).toBeNull();
    await db.modelPrice.create({
      data: {
        model,
        source: "custom",
        inputCostPer1k: "2",
        outputCostPer1k: "2",
        effectiveFrom: new Date(0),
      },
    });
    expect((await loadPriceBook(db)).find(model, NOW)?.usdPer1kInputTokens.toFixed()).toBe("2");
  });

  it("leaves out and reports a row whose tiers are malformed, keeping the rest", async () => {
    const model = `bad-tiers-${suffix}`;
    const row = await db.modelPrice.create({
      data: {
        model,
        source: "custom",
        inputCostPer1k: "1",
        outputCostPer1k: "1",
        tiers: [{ above_input_tokens: -5, input_cost_per_1k: "1", output_cost_per_1k: "1" }],
        effectiveFrom: new Date(0),
      },
    });
    const reported: string[] = [];
    const book = await loadPriceBook(db, (id, message) => reported.push(`${id}: ${message}`));
    expect(book.find(model, NOW)).toBeNull();
    expect(reported).toEqual([`${row.id}: tiers[0].above_input_tokens must be a positive integer`]);
    expect(book.find("gpt-4", NOW)).not.toBeNull();
    await db.modelPrice.update({ where: { id: row.id }, data: { tiers: Prisma.DbNull } });
  });
});
