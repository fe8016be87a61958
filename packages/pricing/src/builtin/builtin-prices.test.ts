import { describe, expect, it } from "vitest";
import { normaliseModelName } from "../model-names.js";
import { PriceBook } from "../price-book.js";
import { BUILTIN_PRICES, BUILTIN_PRICES_SOURCE, builtinModelPrices } from "./builtin-prices.js";
import { GENERATED_MODELS } from "./generated-prices.js";

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

const NOW = new Date("2026-11-30T00:00:00Z");
const book = new PriceBook(builtinModelPrices());
const find = (name: string, at = NOW) => {
  const p = book.find(name, at);
  if (p === null) throw new Error(`no builtin price for ${name}`);
  return p;
};
const rates = (name: string, at = NOW) => {
  const p = find(name, at);
  return {
    input: p.usdPer1kInputTokens.toFixed(),
    output: p.usdPer1kOutputTokens.toFixed(),
    cached: p.usdPer1kCachedInputTokens?.toFixed() ?? null,
    cacheWrite: p.usdPer1kCacheWriteTokens?.toFixed() ?? null,
    cacheWrite1h: p.usdPer1kCacheWrite1hTokens?.toFixed() ?? null,
    tiers: p.tiers.map((t) => [
      t.aboveInputTokens,
      t.usdPer1kInputTokens.toFixed(),
      t.usdPer1kOutputTokens.toFixed(),
    ]),
  };
};

describe("builtin prices: the seed document", () => {
  it("keeps the seed's eight models at their exact prices, whatever the price database says", () => {
    for (const [model, input, output] of SEED) {
      const p = find(model);
      expect(p.model, model).toBe(model);
      expect(p.usdPer1kInputTokens.toFixed(), model).toBe(input);
      expect(p.usdPer1kOutputTokens.toFixed(), model).toBe(output);
      expect(p.origin, model).toMatch(/^seed document/);
      expect(p.tiers, model).toEqual([]);
    }
    // The database prices these two differently today; the seed's snapshots keep the seed's price.
    expect(rates("gpt-3.5-turbo-0613").input).toBe("0.0015");
    expect(rates("gemini-1.0-pro-001").input).toBe("0.0005");
    // A later snapshot the seed does not describe has its own price.
    expect(rates("gpt-3.5-turbo-0125")).toMatchObject({ input: "0.0005", output: "0.0015" });
  });

  it("gives the seed's Claude 3 models the provider's cache rates for the same price", () => {
    expect(rates("claude-3-haiku-20240307")).toMatchObject({
      cached: "0.00003",
      cacheWrite: "0.0003",
      cacheWrite1h: "0.0005",
    });
    expect(find("claude-3-opus").origin).toMatch(/^seed document; cache rates from @pydantic\/genai-prices/);
    expect(rates("gpt-4")).toMatchObject({ cached: null, cacheWrite: null, cacheWrite1h: null });
  });
});

describe("builtin prices: coverage", () => {
  const perProvider = new Map<string, number>();
  for (const m of GENERATED_MODELS) perProvider.set(m.provider, (perProvider.get(m.provider) ?? 0) + 1);

  it("holds at least 300 models across the major providers", () => {
    expect(GENERATED_MODELS.length).toBeGreaterThanOrEqual(300);
    const minimum: Record<string, number> = {
      seed: 8,
      openai: 60,
      anthropic: 15,
      google: 25,
      mistral: 20,
      deepseek: 5,
      cohere: 5,
      "x-ai": 10,
      aws: 60,
      groq: 15,
      together: 40,
    };
    for (const [provider, count] of Object.entries(minimum)) {
      expect(perProvider.get(provider) ?? 0, provider).toBeGreaterThanOrEqual(count);
    }
  });

  it("prices every family the operators' sellers expose", () => {
    const names = [
      ...[
        "gpt-4.1",
        "gpt-4.1-mini",
        "gpt-4.1-nano",
        "gpt-4o",
        "gpt-4o-mini",
        "gpt-5",
        "gpt-5-mini",
        "gpt-5-nano",
      ],
      ...["o1", "o1-mini", "o3", "o3-mini", "o4-mini", "text-embedding-3-small", "text-embedding-3-large"],
      ...["claude-3-haiku-20240307", "claude-3-5-haiku-20241022", "claude-3-5-sonnet-20241022"],
      ...[
        "claude-3-7-sonnet-20250219",
        "claude-sonnet-4-20250514",
        "claude-opus-4-20250514",
        "claude-opus-4-1",
      ],
      ...["claude-haiku-4-5-20251001", "claude-sonnet-4-5-20250929", "claude-opus-4-5-20251101"],
      ...["gemini-1.5-flash-002", "gemini-1.5-pro-002", "gemini-2.0-flash-001", "gemini-2.0-flash-lite"],
      ...["gemini-2.5-flash", "gemini-2.5-flash-lite", "gemini-2.5-pro", "gemini-embedding-001"],
      ...[
        "mistral-large-latest",
        "mistral-small-latest",
        "codestral-latest",
        "deepseek-chat",
        "deepseek-reasoner",
      ],
      ...["command-r-plus-08-2024", "command-a-03-2025", "grok-3", "grok-4", "grok-3-mini"],
      ...["llama-3.3-70b-versatile", "llama-3.1-8b-instant", "meta-llama/Llama-3.3-70B-Instruct-Turbo"],
      ...[
        "amazon.nova-pro-v1:0",
        "us.amazon.nova-lite-v1:0",
        "amazon.nova-micro-v1:0",
        "amazon.titan-embed-text-v1",
      ],
      ...["us.anthropic.claude-3-5-sonnet-20241022-v2:0", "us.meta.llama3-3-70b-instruct-v1:0"],
    ];
    const missing = names.filter((n) => book.find(n, NOW) === null);
    expect(missing).toEqual([]);
  });

  it("has at most one version per name and date, each name normalised", () => {
    const keys = BUILTIN_PRICES.map((b) => `${b.model}@${b.effectiveFrom}`);
    expect(new Set(keys).size).toBe(keys.length);
    for (const b of BUILTIN_PRICES) expect(normaliseModelName(b.model), b.model).toBe(b.model);
    const owners = new Map<string, string>();
    for (const m of GENERATED_MODELS) {
      for (const name of m.names) {
        expect(owners.get(name), `${name} in ${m.provider}/${m.id}`).toBeUndefined();
        owners.set(name, `${m.provider}/${m.id}`);
      }
    }
  });

  it("names its source and date on every price", () => {
    expect(BUILTIN_PRICES_SOURCE).toBe("@pydantic/genai-prices 0.1.8 (2026-09-23)");
    for (const p of builtinModelPrices()) {
      expect(p.id).toBeNull();
      expect(p.source).toBe("builtin");
      expect(p.origin).toMatch(/^(seed document|@pydantic\/genai-prices 0\.1\.8 \(2026-09-23\): [a-z-]+\/)/);
      expect(Number.isNaN(p.effectiveFrom.getTime())).toBe(false);
    }
  });

  it("bills Anthropic's 1-hour cache writes at twice the input rate, above the 5-minute rate", () => {
    // Claude 1 and 2 had no prompt caching.
    const anthropic = builtinModelPrices().filter(
      (p) => p.origin?.includes(": anthropic/") && p.usdPer1kCacheWriteTokens !== null,
    );
    // Claude 3 Haiku's 5-minute writes are 1.2× input, the others' 1.25×.
    expect(rates("claude-3-haiku").cacheWrite).toBe("0.0003");
    expect(rates("claude-3-5-haiku").cacheWrite).toBe("0.001");
    expect(anthropic.length).toBeGreaterThan(15);
    for (const p of anthropic) {
      expect(p.usdPer1kCacheWrite1hTokens?.toFixed(), p.model).toBe(p.usdPer1kInputTokens.times(2).toFixed());
      expect(p.usdPer1kCacheWriteTokens?.lessThan(p.usdPer1kCacheWrite1hTokens ?? 0), p.model).toBe(true);
    }
  });
});

describe("builtin prices: spot checks against the price database", () => {
  it("prices gpt-4.1 with its cached-input rate", () => {
    expect(rates("gpt-4.1-2025-04-14")).toMatchObject({ input: "0.002", output: "0.008", cached: "0.0005" });
    expect(rates("gpt-4o-mini")).toMatchObject({ input: "0.00015", output: "0.0006", cached: "0.000075" });
  });

  it("prices claude-sonnet-4 cache reads and both cache-write durations", () => {
    expect(rates("claude-sonnet-4-20250514")).toEqual({
      input: "0.003",
      output: "0.015",
      cached: "0.0003",
      cacheWrite: "0.00375",
      cacheWrite1h: "0.006",
      tiers: [],
    });
  });

  it("prices Gemini 2.5 Pro's prompts above 200K tokens at its long-context tier", () => {
    const p = find("gemini-2.5-pro");
    expect(rates("gemini-2.5-pro")).toMatchObject({ input: "0.00125", output: "0.01", cached: "0.000125" });
    expect(p.tiers).toHaveLength(1);
    expect(p.tiers[0]?.aboveInputTokens).toBe(200_000);
    expect(p.tiers[0]?.usdPer1kInputTokens.toFixed()).toBe("0.0025");
    expect(p.tiers[0]?.usdPer1kOutputTokens.toFixed()).toBe("0.015");
    expect(p.tiers[0]?.usdPer1kCachedInputTokens?.toFixed()).toBe("0.00025");
  });

  it("keeps dated price changes as versions with their effective date", () => {
    const o3 = builtinModelPrices().filter((p) => p.model === "o3");
    expect(o3.map((p) => [p.effectiveFrom.toISOString(), p.usdPer1kInputTokens.toFixed()])).toEqual([
      ["2024-01-01T00:00:00.000Z", "0.01"],
      ["2025-06-10T00:00:00.000Z", "0.002"],
    ]);
  });

  it("bills DeepSeek at its standard-hours rate all day", () => {
    expect(rates("deepseek-chat")).toMatchObject({ input: "0.00027", output: "0.0011", cached: "0.00007" });
    expect(find("deepseek-chat").origin).toMatch(/standard-hours rate/);
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
