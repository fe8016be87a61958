import { describe, expect, it } from "vitest";
import { price } from "../test/test-prices.js";
import { builtinModelPrices } from "./builtin-prices.js";
import { PricingError } from "./errors.js";
import { PriceBook } from "./price-book.js";

const NOW = new Date("2025-06-01T00:00:00Z");
const builtins = new PriceBook(builtinModelPrices());
const modelFor = (name: string, book = builtins) => book.find(name, NOW)?.model ?? null;

describe("PriceBook.find model matching", () => {
  it("matches the seed's capitalised names case-insensitively", () => {
    const book = new PriceBook([
      price("GPT-4", "0.03", "0.06"),
      price("Claude-3-haiku", "0.00025", "0.00125"),
    ]);
    expect(modelFor("gpt-4", book)).toBe("GPT-4");
    expect(modelFor("GPT-4", book)).toBe("GPT-4");
    expect(modelFor("claude-3-haiku-20240307", book)).toBe("Claude-3-haiku");
  });

  it("matches dated model ids to their base price", () => {
    expect(modelFor("gpt-4-0613")).toBe("gpt-4");
    expect(modelFor("gpt-3.5-turbo-0125")).toBe("gpt-3.5-turbo");
    expect(modelFor("claude-3-opus-20240229")).toBe("claude-3-opus");
    expect(modelFor("claude-3-sonnet-20240229")).toBe("claude-3-sonnet");
    expect(modelFor("claude-3-haiku-20240307")).toBe("claude-3-haiku");
    expect(modelFor("claude-3-haiku@20240307")).toBe("claude-3-haiku");
    expect(modelFor("claude-3-5-sonnet-latest")).toBe("claude-3-5-sonnet");
    expect(modelFor("gpt-4o-2024-08-06")).toBe("gpt-4o");
    expect(modelFor("gpt-4o-mini-2024-07-18")).toBe("gpt-4o-mini");
    expect(modelFor("anthropic.claude-3-haiku-20240307-v1:0")).toBe("claude-3-haiku");
    expect(modelFor("us.anthropic.claude-3-5-sonnet-20241022-v2:0")).toBe("claude-3-5-sonnet");
  });

  it("prefers the longest base name", () => {
    expect(modelFor("gpt-4-32k-0613")).toBe("gpt-4-32k");
    expect(modelFor("gpt-4-32k")).toBe("gpt-4-32k");
    expect(modelFor("gpt-3.5-turbo-16k")).toBe("gpt-3.5-turbo-16k");
    expect(modelFor("gpt-3.5-turbo-16k-0613")).toBe("gpt-3.5-turbo-16k");
  });

  it("does not price gpt-4o as gpt-4", () => {
    expect(modelFor("gpt-4o")).toBe("gpt-4o");
    const onlyGpt4 = new PriceBook([price("gpt-4", "0.03", "0.06")]);
    expect(modelFor("gpt-4o", onlyGpt4)).toBeNull();
    expect(modelFor("gpt-4o-2024-08-06", onlyGpt4)).toBeNull();
    expect(modelFor("gpt-4-turbo", onlyGpt4)).toBeNull();
    expect(modelFor("gpt-4-32k", onlyGpt4)).toBeNull();
  });

  it("does not price gpt-3.5-turbo-16k as gpt-3.5-turbo even without a 16k price", () => {
    const only35 = new PriceBook([price("gpt-3.5-turbo", "0.0015", "0.002")]);
    expect(modelFor("gpt-3.5-turbo-16k", only35)).toBeNull();
    expect(modelFor("gpt-3.5-turbo-16k-0613", only35)).toBeNull();
    expect(modelFor("gpt-3.5-turbo-0613", only35)).toBe("gpt-3.5-turbo");
  });

  it("does not price a newer model family member as an older one", () => {
    const book = new PriceBook([price("claude-opus-4", "0.015", "0.075"), price("claude-3", "1", "1")]);
    expect(modelFor("claude-opus-4-5-20251101", book)).toBeNull();
    expect(modelFor("claude-3-5-sonnet-20241022", book)).toBeNull();
  });

  it("prices GPT-4 Turbo previews and the first gpt-4o snapshot at their own rates", () => {
    expect(builtins.find("gpt-4-1106-preview", NOW)?.usdPer1kInputTokens.toFixed()).toBe("0.01");
    expect(builtins.find("gpt-4-turbo-2024-04-09", NOW)?.model).toBe("gpt-4-turbo");
    expect(builtins.find("gpt-4o-2024-05-13", NOW)?.usdPer1kInputTokens.toFixed()).toBe("0.005");
  });

  it("maps Gemini names and aliases", () => {
    expect(modelFor("gemini-pro")).toBe("gemini-pro");
    expect(modelFor("models/gemini-pro")).toBe("gemini-pro");
    expect(modelFor("gemini-1.0-pro")).toBe("gemini-1.0-pro");
    expect(modelFor("models/gemini-1.0-pro-001")).toBe("gemini-1.0-pro");
    expect(builtins.find("gemini-1.0-pro", NOW)?.usdPer1kOutputTokens.toFixed()).toBe("0.0015");
  });

  it("returns null for unknown, empty and fine-tuned names", () => {
    expect(builtins.find("no-such-model", NOW)).toBeNull();
    expect(builtins.find("", NOW)).toBeNull();
    expect(builtins.find("models/", NOW)).toBeNull();
    expect(builtins.find("ft:gpt-4o-mini-2024-07-18:acme::abc123", NOW)).toBeNull();
  });
});

describe("PriceBook.find versions and sources", () => {
  it("prefers a custom price over the builtin", () => {
    const custom = price("gpt-4", "0.02", "0.05", { source: "custom", from: "2020-01-01T00:00:00Z" });
    const book = new PriceBook([...builtinModelPrices(), custom]);
    expect(book.find("gpt-4", NOW)).toBe(custom);
    expect(book.find("gpt-4-0613", NOW)).toBe(custom);
    expect(book.find("gpt-4-32k", NOW)?.source).toBe("builtin");
  });

  it("falls back to the builtin when the custom price is not yet effective", () => {
    const custom = price("gpt-4", "0.02", "0.05", { from: "2030-01-01T00:00:00Z" });
    const book = new PriceBook([...builtinModelPrices(), custom]);
    expect(book.find("gpt-4", NOW)?.source).toBe("builtin");
    expect(book.find("gpt-4", new Date("2030-01-01T00:00:00Z"))).toBe(custom);
  });

  it("lets an exact model name beat a shorter custom base name", () => {
    const custom = price("gpt-4", "0.02", "0.05");
    const book = new PriceBook([...builtinModelPrices(), custom]);
    expect(book.find("gpt-4-1106-preview", NOW)?.model).toBe("gpt-4-1106-preview");
  });

  it("uses the newest price effective at the request time", () => {
    const v1 = price("m", "1", "1", { from: "2024-01-01T00:00:00Z" });
    const v2 = price("m", "2", "2", { from: "2024-03-01T00:00:00Z" });
    const v3 = price("m", "3", "3", { from: "2024-06-01T00:00:00Z" });
    const book = new PriceBook([v3, v1, v2]);
    expect(book.find("m", new Date("2024-02-15T00:00:00Z"))).toBe(v1);
    expect(book.find("m", new Date("2024-03-01T00:00:00Z"))).toBe(v2);
    expect(book.find("m", new Date("2024-05-31T23:59:59.999Z"))).toBe(v2);
    expect(book.find("m", NOW)).toBe(v3);
  });

  it("ignores a price that takes effect after the request", () => {
    const later = price("m", "1", "1", { from: "2024-06-01T00:00:00.001Z" });
    const book = new PriceBook([later]);
    expect(book.find("m", new Date("2024-06-01T00:00:00Z"))).toBeNull();
    expect(book.find("builtin-only", NOW)).toBeNull();
  });

  it("applies builtins from 2024-01-01T00:00:00Z", () => {
    expect(builtins.find("gpt-4", new Date("2023-12-31T23:59:59.999Z"))).toBeNull();
    expect(builtins.find("gpt-4", new Date("2024-01-01T00:00:00Z"))?.model).toBe("gpt-4");
  });

  it("breaks a tie between equal effective dates by input order", () => {
    const a = price("m", "1", "1");
    const b = price("m", "2", "2");
    expect(new PriceBook([a, b]).find("m", NOW)).toBe(b);
  });

  it("is not affected by later changes to the input array or dates", () => {
    const prices = [price("m", "1", "1", { from: "2024-01-01T00:00:00Z" })];
    const book = new PriceBook(prices);
    prices[0]?.effectiveFrom.setTime(Date.parse("2030-01-01T00:00:00Z"));
    prices.length = 0;
    expect(book.find("m", NOW)?.model).toBe("m");
  });

  it("rejects an invalid request time", () => {
    expect(() => builtins.find("gpt-4", new Date("nope"))).toThrow(PricingError);
  });
});
