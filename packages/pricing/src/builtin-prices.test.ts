import { describe, expect, it } from "vitest";
import { BUILTIN_PRICES, builtinModelPrices } from "./builtin-prices.js";
import { normaliseModelName } from "./model-names.js";

const SEED: ReadonlyArray<[string, string, string]> = [
  ["gpt-4", "0.03", "0.06"],
  ["gpt-4-32k", "0.06", "0.12"],
  ["gpt-3.5-turbo", "0.0015", "0.002"],
  ["gpt-3.5-turbo-16k", "0.003", "0.004"],
  ["claude-3-opus", "0.015", "0.075"],
  ["claude-3-sonnet", "0.003", "0.015"],
  ["claude-3-haiku", "0.00025", "0.00125"],
  ["gemini-pro", "0.0005", "0.0015"],
];

describe("builtin prices", () => {
  it("holds the seed document's eight models at their exact prices", () => {
    const byModel = new Map(builtinModelPrices().map((p) => [p.model, p]));
    for (const [model, input, output] of SEED) {
      const p = byModel.get(model);
      expect(p, model).toBeDefined();
      expect(p?.usdPer1kInputTokens.toFixed(), model).toBe(input);
      expect(p?.usdPer1kOutputTokens.toFixed(), model).toBe(output);
      expect(p?.origin).toBe("seed document");
      expect(p?.usdPer1kCachedInputTokens).toBeNull();
      expect(p?.usdPer1kCacheWriteTokens).toBeNull();
    }
  });

  it("holds current models with their cache rates", () => {
    const byModel = new Map(builtinModelPrices().map((p) => [p.model, p]));
    expect(byModel.get("gpt-4o")?.usdPer1kCachedInputTokens?.toFixed()).toBe("0.00125");
    expect(byModel.get("gpt-4o-mini")?.usdPer1kCachedInputTokens?.toFixed()).toBe("0.000075");
    expect(byModel.get("claude-3-5-haiku")?.usdPer1kCacheWriteTokens?.toFixed()).toBe("0.001");
    expect(byModel.get("text-embedding-3-small")?.usdPer1kOutputTokens.isZero()).toBe(true);
  });

  it("builds unsaved builtin ModelPrices effective from 2024-01-01", () => {
    for (const p of builtinModelPrices()) {
      expect(p.id).toBeNull();
      expect(p.source).toBe("builtin");
      expect(p.origin).toBeTruthy();
      expect(p.effectiveFrom.toISOString()).toBe("2024-01-01T00:00:00.000Z");
    }
    expect(builtinModelPrices()).toHaveLength(BUILTIN_PRICES.length);
  });

  it("has one entry per normalised model name, each already normalised", () => {
    const names = BUILTIN_PRICES.map((b) => b.model);
    expect(new Set(names.map(normaliseModelName)).size).toBe(names.length);
    for (const name of names) expect(normaliseModelName(name)).toBe(name);
  });

  it("is frozen and hands out fresh objects", () => {
    expect(Object.isFrozen(BUILTIN_PRICES)).toBe(true);
    expect(Object.isFrozen(BUILTIN_PRICES[0])).toBe(true);
    const a = builtinModelPrices()[0];
    const b = builtinModelPrices()[0];
    expect(a).not.toBe(b);
    expect(a?.effectiveFrom).not.toBe(b?.effectiveFrom);
  });
});
