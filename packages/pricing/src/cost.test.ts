import { describe, expect, it } from "vitest";
import { price } from "../test/test-prices.js";
import { builtinModelPrices } from "./builtin-prices.js";
import { computeCost } from "./cost.js";
import { Decimal } from "./decimal.js";
import { PricingError } from "./errors.js";
import { PriceBook } from "./price-book.js";
import type { TokenCounts } from "./types.js";

const book = new PriceBook(builtinModelPrices());
const builtin = (model: string) => {
  const p = book.find(model, new Date("2025-01-01T00:00:00Z"));
  if (p === null) throw new Error(`no builtin price for ${model}`);
  return p;
};
const tokens = (t: Partial<TokenCounts>): TokenCounts => ({
  inputTokens: 0,
  cachedInputTokens: 0,
  cacheWriteTokens: 0,
  outputTokens: 0,
  reasoningTokens: 0,
  ...t,
});

describe("computeCost", () => {
  it("prices a one-token claude-3-haiku input call at 0.00000025 exactly", () => {
    const cost = computeCost(tokens({ inputTokens: 1 }), builtin("claude-3-haiku-20240307"));
    expect(cost.toFixed()).toBe("0.00000025");
    expect(cost.equals("0.00000025")).toBe(true);
  });

  it("prices input and output at their rates per 1K tokens", () => {
    const cost = computeCost(tokens({ inputTokens: 1000, outputTokens: 500 }), builtin("gpt-4"));
    expect(cost.toFixed()).toBe("0.06"); // 1000 × 0.03/1000 + 500 × 0.06/1000
  });

  it("charges cached input at the cached rate and falls back to the input rate when unset", () => {
    const withRate = price("m", "0.0025", "0.01", { cached: "0.00125" });
    const withoutRate = price("m", "0.0025", "0.01");
    const counts = tokens({ inputTokens: 1000, cachedInputTokens: 400 });
    expect(computeCost(counts, withRate).toFixed()).toBe("0.002"); // 600 × 0.0025 + 400 × 0.00125, /1000
    expect(computeCost(counts, withoutRate).toFixed()).toBe("0.0025");
  });

  it("charges cache writes at the cache-write rate and falls back to the input rate when unset", () => {
    const counts = tokens({
      inputTokens: 3000,
      cachedInputTokens: 1000,
      cacheWriteTokens: 1000,
      outputTokens: 100,
    });
    // 1000 uncached × 0.003 + 1000 × 0.0003 + 1000 × 0.00375 + 100 × 0.015, /1000
    expect(computeCost(counts, builtin("claude-3-5-sonnet")).toFixed()).toBe("0.00855");
    // without cache rates everything input-side is 3000 × 0.003
    expect(computeCost(counts, price("m", "0.003", "0.015")).toFixed()).toBe("0.0105");
  });

  it("clamps uncached input at zero when cached and cache-write counts exceed input", () => {
    const counts = tokens({ inputTokens: 10, cachedInputTokens: 8, cacheWriteTokens: 8 });
    expect(computeCost(counts, price("m", "1", "1", { cached: "0.5", cacheWrite: "2" })).toFixed()).toBe(
      "0.02",
    );
  });

  it("prices reasoning tokens only as part of output", () => {
    const p = price("m", "0", "0.06");
    const withReasoning = computeCost(tokens({ outputTokens: 1000, reasoningTokens: 800 }), p);
    expect(withReasoning.toFixed()).toBe("0.06");
  });

  it("returns zero for no tokens", () => {
    expect(computeCost(tokens({}), builtin("gpt-4")).isZero()).toBe(true);
  });

  it("keeps exact decimals where floats would drift (0.1+0.2 style)", () => {
    expect(0.1 + 0.2).not.toBe(0.3);
    const cost = computeCost(tokens({ inputTokens: 1000, outputTokens: 1000 }), price("m", "0.1", "0.2"));
    expect(cost.toFixed()).toBe("0.3");
    const many = computeCost(tokens({ inputTokens: 3 }), price("m", "0.0000000001", "0"));
    expect(many.toFixed()).toBe("0.0000000000003");
  });

  it("prices 2^31-1 gpt-4-32k output tokens exactly", () => {
    const cost = computeCost(tokens({ outputTokens: 2 ** 31 - 1 }), builtin("gpt-4-32k"));
    expect(cost.toFixed()).toBe("257698.03764");
  });

  it("stays exact beyond decimal.js's default 20 significant digits", () => {
    const p = price("m", "999.9999999999", "0.0000000001");
    const cost = computeCost(tokens({ inputTokens: Number.MAX_SAFE_INTEGER, outputTokens: 7 }), p);
    // 9007199254740991 × 0.9999999999999 + 7 × 0.0000000000001
    expect(cost.toFixed()).toBe("9007199254740090.2800745259016");
    expect(cost.precision()).toBe(29);
  });

  it("returns a Decimal with the default configuration", () => {
    const cost = computeCost(tokens({ inputTokens: 1 }), builtin("gpt-4"));
    expect(cost).toBeInstanceOf(Decimal);
    expect(cost.constructor).toBe(Decimal);
    expect(cost.dividedBy(3).toFixed()).toBe("0.00001");
  });

  it("rejects negative, fractional and unsafe token counts", () => {
    const p = builtin("gpt-4");
    for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
      expect(() => computeCost(tokens({ inputTokens: bad }), p)).toThrow(PricingError);
      expect(() => computeCost(tokens({ reasoningTokens: bad }), p)).toThrow(PricingError);
    }
  });

  it("rejects negative or non-finite rates", () => {
    const negative = { ...price("m", "1", "1"), usdPer1kOutputTokens: new Decimal("-1") };
    const nan = { ...price("m", "1", "1"), usdPer1kCachedInputTokens: new Decimal(Number.NaN) };
    expect(() => computeCost(tokens({}), negative)).toThrow(PricingError);
    expect(() => computeCost(tokens({}), nan)).toThrow(/usdPer1kCachedInputTokens/);
  });
});
