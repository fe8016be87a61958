import { Decimal } from "decimal.js";
import { describe, expect, it } from "vitest";
import { price, tier } from "../test/test-prices.js";
import { builtinModelPrices } from "./builtin/builtin-prices.js";
import { computeCost } from "./cost.js";
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
    expect(
      computeCost(
        counts,
        price("m", "0.003", "0.015", { cached: "0.0003", cacheWrite: "0.00375" }),
      ).toFixed(),
    ).toBe("0.00855");
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

  it("charges 1-hour cache writes at the 1-hour rate and 5-minute writes at the cache-write rate", () => {
    const p = price("m", "0.003", "0.015", {
      cached: "0.0003",
      cacheWrite: "0.00375",
      cacheWrite1h: "0.006",
    });
    const counts = tokens({ inputTokens: 10_000, cacheWriteTokens: 3000, cacheWrite1hTokens: 1000 });
    // 7000 × 0.003 + 2000 × 0.00375 + 1000 × 0.006, /1000
    expect(computeCost(counts, p).toFixed()).toBe("0.0345");
    // without a 1-hour count every write is a 5-minute one
    expect(computeCost(tokens({ inputTokens: 10_000, cacheWriteTokens: 3000 }), p).toFixed()).toBe("0.03225");
  });

  it("falls back from the 1-hour rate to the cache-write rate, then to the input rate", () => {
    const counts = tokens({ inputTokens: 1000, cacheWriteTokens: 1000, cacheWrite1hTokens: 1000 });
    expect(computeCost(counts, price("m", "1", "0", { cacheWrite: "2" })).toFixed()).toBe("2");
    expect(computeCost(counts, price("m", "1", "0")).toFixed()).toBe("1");
  });

  it("caps 1-hour cache writes at the cache writes they are part of", () => {
    const p = price("m", "1", "0", { cacheWrite: "2", cacheWrite1h: "4" });
    const counts = tokens({ inputTokens: 100, cacheWriteTokens: 10, cacheWrite1hTokens: 50 });
    // 90 × 1 + 10 × 4, /1000: the 40 extra 1-hour tokens are not charged
    expect(computeCost(counts, p).toFixed()).toBe("0.13");
  });

  it("prices Claude's 1-hour cache writes at twice the input rate", () => {
    const p = builtin("claude-sonnet-4-20250514");
    const counts = tokens({ inputTokens: 2000, cacheWriteTokens: 2000, cacheWrite1hTokens: 1000 });
    // 1000 × 0.00375 + 1000 × 0.006, /1000
    expect(computeCost(counts, p).toFixed()).toBe("0.00975");
  });

  describe("long-context tiers", () => {
    const tiered = price("m", "1", "10", {
      cached: "0.1",
      tiers: [tier(200_000, "2", "15", { cached: "0.2" })],
    });

    it("uses the base rates up to and including the tier's threshold", () => {
      const at = computeCost(tokens({ inputTokens: 200_000, outputTokens: 1000 }), tiered);
      expect(at.toFixed()).toBe("210"); // 200000 × 1 + 1000 × 10, /1000
    });

    it("uses the tier's rates for every token once input exceeds the threshold", () => {
      const above = computeCost(tokens({ inputTokens: 200_001, outputTokens: 1000 }), tiered);
      expect(above.toFixed()).toBe("415.002"); // 200001 × 2 + 1000 × 15, /1000
    });

    it("chooses the tier by all input tokens, cached and cache-write included", () => {
      const counts = tokens({ inputTokens: 250_000, cachedInputTokens: 200_000, outputTokens: 0 });
      // 50000 × 2 + 200000 × 0.2, /1000
      expect(computeCost(counts, tiered).toFixed()).toBe("140");
    });

    it("falls back within the tier: cached and cache writes to the tier's input rate, 1 hour to its write rate", () => {
      const p = price("m", "1", "1", {
        cached: "0.1",
        cacheWrite: "1.25",
        cacheWrite1h: "2",
        tiers: [tier(100, "3", "3", { cacheWrite: "5" })],
      });
      const counts = tokens({
        inputTokens: 101,
        cachedInputTokens: 1,
        cacheWriteTokens: 100,
        cacheWrite1hTokens: 50,
      });
      // cached 1 × 3 (tier input) + 50 × 5 + 50 × 5 (1h → tier write rate), /1000
      expect(computeCost(counts, p).toFixed()).toBe("0.503");
    });

    it("picks the highest threshold below the input, whatever the tiers' order", () => {
      const p = price("m", "1", "0", { tiers: [tier(1000, "3", "0"), tier(10, "2", "0")] });
      expect(computeCost(tokens({ inputTokens: 10 }), p).toFixed()).toBe("0.01");
      expect(computeCost(tokens({ inputTokens: 11 }), p).toFixed()).toBe("0.022");
      expect(computeCost(tokens({ inputTokens: 1000 }), p).toFixed()).toBe("2");
      expect(computeCost(tokens({ inputTokens: 1001 }), p).toFixed()).toBe("3.003");
    });

    it("prices Gemini 2.5 Pro's long context from the built-in table", () => {
      const p = builtin("models/gemini-2.5-pro");
      const short = computeCost(
        tokens({ inputTokens: 200_000, cachedInputTokens: 100_000, outputTokens: 1000 }),
        p,
      );
      // 100000 × 0.00125 + 100000 × 0.000125 + 1000 × 0.01
      expect(short.toFixed()).toBe("0.1475");
      const long = computeCost(
        tokens({ inputTokens: 200_001, cachedInputTokens: 100_000, outputTokens: 1000 }),
        p,
      );
      // 100001 × 0.0025 + 100000 × 0.00025 + 1000 × 0.015
      expect(long.toFixed()).toBe("0.2900025");
    });

    it("rejects a tier with a malformed rate", () => {
      const p = price("m", "1", "1", {
        tiers: [{ ...tier(10, "1", "1"), usdPer1kOutputTokens: new Decimal(-1) }],
      });
      expect(() => computeCost(tokens({ inputTokens: 11 }), p)).toThrow(/tiers\[>10\]\.usdPer1kOutputTokens/);
      expect(computeCost(tokens({ inputTokens: 10 }), p).toFixed()).toBe("0.01");
    });
  });

  it("rejects a negative or fractional 1-hour cache-write count", () => {
    const p = price("m", "1", "1");
    for (const bad of [-1, 0.5]) {
      expect(() => computeCost(tokens({ cacheWriteTokens: 1, cacheWrite1hTokens: bad }), p)).toThrow(
        PricingError,
      );
    }
  });
});
