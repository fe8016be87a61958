import { describe, expect, it } from "vitest";
import { PricingError } from "./errors.js";
import { parsePriceTiers, priceTiersJson } from "./tiers.js";

const rejection = (value: unknown): PricingError => {
  try {
    parsePriceTiers(value);
  } catch (error) {
    if (error instanceof PricingError) return error;
    throw error;
  }
  throw new Error(`accepted ${JSON.stringify(value)}`);
};

describe("parsePriceTiers", () => {
  it("reads tiers in their JSON form, rates exactly, and writes them back as decimal strings", () => {
    const json = [
      { above_input_tokens: 128000, input_cost_per_1k: "0.0025", output_cost_per_1k: 0.01 },
      {
        above_input_tokens: 200000,
        input_cost_per_1k: "0.005",
        output_cost_per_1k: "0.015",
        cached_input_cost_per_1k: "0.0005",
        cache_write_cost_per_1k: null,
        cache_write_1h_cost_per_1k: "2e-3",
      },
    ];
    const tiers = parsePriceTiers(json);
    expect(tiers.map((t) => t.aboveInputTokens)).toEqual([128000, 200000]);
    expect(tiers[1]?.usdPer1kCacheWrite1hTokens?.toFixed()).toBe("0.002");
    expect(tiers[0]?.usdPer1kCachedInputTokens).toBeNull();
    expect(priceTiersJson(tiers)).toEqual([
      {
        above_input_tokens: 128000,
        input_cost_per_1k: "0.0025",
        output_cost_per_1k: "0.01",
        cached_input_cost_per_1k: null,
        cache_write_cost_per_1k: null,
        cache_write_1h_cost_per_1k: null,
      },
      {
        above_input_tokens: 200000,
        input_cost_per_1k: "0.005",
        output_cost_per_1k: "0.015",
        cached_input_cost_per_1k: "0.0005",
        cache_write_cost_per_1k: null,
        cache_write_1h_cost_per_1k: "0.002",
      },
    ]);
  });

  it("treats null, undefined and an empty list as a flat price", () => {
    expect(parsePriceTiers(null)).toEqual([]);
    expect(parsePriceTiers(undefined)).toEqual([]);
    expect(priceTiersJson(parsePriceTiers([]))).toBeNull();
  });

  it("rejects malformed tiers with invalid_tiers and says where", () => {
    const ok = { input_cost_per_1k: "1", output_cost_per_1k: "1" };
    const cases: Array<[unknown, RegExp]> = [
      [{}, /must be an array/],
      [[1], /tiers\[0\] must be an object/],
      [[{ ...ok, above_input_tokens: 0 }], /positive integer/],
      [[{ ...ok, above_input_tokens: 1.5 }], /positive integer/],
      [[{ ...ok, above_input_tokens: "10" }], /positive integer/],
      [[{ ...ok, above_input_tokens: 2 ** 53 }], /positive integer/],
      [[{ above_input_tokens: 10, input_cost_per_1k: "1" }], /output_cost_per_1k is required/],
      [
        [{ ...ok, above_input_tokens: 10, input_cost_per_1k: "-1" }],
        /input_cost_per_1k: rate must not be negative/,
      ],
      [[{ ...ok, above_input_tokens: 10, cached_input_cost_per_1k: true }], /decimal string or a number/],
      [[{ ...ok, above_input_tokens: 10, extra: 1 }], /tiers\[0\]\.extra is not a tier field/],
      [
        [
          { ...ok, above_input_tokens: 10 },
          { ...ok, above_input_tokens: 10 },
        ],
        /tiers\[1\]\.above_input_tokens must be greater/,
      ],
      [Array.from({ length: 17 }, (_, i) => ({ ...ok, above_input_tokens: i + 1 })), /at most 16/],
    ];
    for (const [value, message] of cases) {
      const error = rejection(value);
      expect(error.code).toBe("invalid_tiers");
      expect(error.message).toMatch(message);
    }
  });
});
