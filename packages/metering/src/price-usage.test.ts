import { Decimal, type ModelPrice, PriceBook } from "@tokenmeter/pricing";
import { describe, expect, it } from "vitest";
import { priceUsage, type StoredCounts } from "./price-usage.js";
import { aliasMap, DEFAULT_SERVICE_SETTINGS, type ServiceSettings } from "./service-settings.js";

const price = (model: string, input: string, output: string, from: string, id: bigint): ModelPrice => ({
  id,
  model,
  source: "custom",
  origin: null,
  usdPer1kInputTokens: new Decimal(input),
  usdPer1kOutputTokens: new Decimal(output),
  usdPer1kCachedInputTokens: null,
  usdPer1kCacheWriteTokens: null,
  usdPer1kCacheWrite1hTokens: null,
  tiers: [],
  effectiveFrom: new Date(from),
});

const book = new PriceBook([
  price("gpt-4", "0.03", "0.06", "2024-01-01T00:00:00Z", 1n),
  price("gpt-4", "0.01", "0.02", "2026-06-01T00:00:00Z", 2n),
  price("free-model", "0", "0", "2024-01-01T00:00:00Z", 3n),
]);

const counts = (input: number, output: number): StoredCounts => ({
  inputTokens: input,
  cachedInputTokens: 0,
  cacheWriteTokens: 0,
  cacheWrite1hTokens: 0,
  outputTokens: output,
  reasoningTokens: 0,
  totalTokens: input + output,
});

describe("priceUsage", () => {
  it("uses the price effective at the call's own time", () => {
    const before = priceUsage(
      counts(1000, 500),
      "gpt-4-0613",
      new Date("2026-05-31T23:59:59Z"),
      book,
      DEFAULT_SERVICE_SETTINGS,
    );
    const after = priceUsage(
      counts(1000, 500),
      "gpt-4-0613",
      new Date("2026-06-01T00:00:00Z"),
      book,
      DEFAULT_SERVICE_SETTINGS,
    );
    expect([before.tokenCost, before.modelPriceId]).toEqual(["0.0600000000", 1n]);
    expect([after.tokenCost, after.modelPriceId]).toEqual(["0.0200000000", 2n]);
  });

  it("tells unpriced (null) from priced at zero and from no tokens at all", () => {
    const at = new Date("2026-01-01T00:00:00Z");
    expect(priceUsage(counts(5, 5), "mystery", at, book, DEFAULT_SERVICE_SETTINGS).tokenCost).toBeNull();
    expect(priceUsage(counts(5, 5), null, at, book, DEFAULT_SERVICE_SETTINGS).tokenCost).toBeNull();
    expect(priceUsage(counts(5, 5), "free-model", at, book, DEFAULT_SERVICE_SETTINGS)).toMatchObject({
      tokenCost: "0.0000000000",
      modelPriceId: 3n,
    });
    expect(priceUsage(counts(0, 0), "mystery", at, book, DEFAULT_SERVICE_SETTINGS)).toMatchObject({
      tokenCost: "0",
      modelPriceId: null,
    });
  });

  it("prices a deployment name through the service's aliases, case-insensitively", () => {
    const azure: ServiceSettings = {
      truncatedStreamPolicy: "estimate",
      modelAliases: aliasMap({ "Prod-GPT4": "gpt-4" }),
    };
    const at = new Date("2025-01-01T00:00:00Z");
    expect(priceUsage(counts(1000, 0), "prod-gpt4", at, book, azure).tokenCost).toBe("0.0300000000");
    expect(priceUsage(counts(1000, 0), "prod-gpt4", at, book, DEFAULT_SERVICE_SETTINGS).tokenCost).toBeNull();
  });
});
