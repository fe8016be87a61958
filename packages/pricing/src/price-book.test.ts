import { describe, expect, it } from "vitest";
import { price } from "../test/test-prices.js";
import { builtinModelPrices } from "./builtin/builtin-prices.js";
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
    expect(modelFor("gpt-3.5-turbo-0613")).toBe("gpt-3.5-turbo");
    expect(modelFor("claude-3-opus-20240229")).toBe("claude-3-opus");
    expect(modelFor("claude-3-sonnet-20240229")).toBe("claude-3-sonnet");
    expect(modelFor("claude-3-haiku-20240307")).toBe("claude-3-haiku");
    expect(modelFor("claude-3-haiku@20240307")).toBe("claude-3-haiku");
    expect(modelFor("claude-3-5-sonnet-latest")).toBe("claude-3-5-sonnet");
    expect(modelFor("gpt-4o-2024-08-06")).toBe("gpt-4o");
    expect(modelFor("gpt-4o-mini-2024-07-18")).toBe("gpt-4o-mini");
    expect(modelFor("claude-3-5-sonnet-20241022")).toBe("claude-3-5-sonnet");
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

  it("leaves an absurdly long name unpriced without scanning it", () => {
    const hostile = `gpt-4${"-123".repeat(250_000)}`;
    // The fastest of five runs: one GC pause or a busy machine must not fail it, a scan of 1 MB still would.
    let fastest = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      expect(builtins.find(hostile, NOW)).toBeNull();
      fastest = Math.min(fastest, performance.now() - started);
    }
    expect(fastest).toBeLessThan(50);
    expect(builtins.find(`${"x".repeat(500)}-gpt-4`, NOW)).toBeNull();
    expect(builtins.find(`models/${"a".repeat(480)}`, NOW)).toBeNull();
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

describe("PriceBook.find with the built-in table", () => {
  const rateOf = (name: string, at = NOW) => builtins.find(name, at)?.usdPer1kInputTokens.toFixed() ?? null;

  it("never prices a model with a neighbour's price", () => {
    const pairs: Array<[string, string]> = [
      ["gpt-4-turbo", "gpt-4"],
      ["gpt-4o", "gpt-4"],
      ["gpt-4o-mini", "gpt-4o"],
      ["gpt-4o-mini-2024-07-18", "gpt-4o"],
      ["gpt-4.1-mini", "gpt-4.1"],
      ["gpt-4.1-nano", "gpt-4.1"],
      ["gpt-5-mini", "gpt-5"],
      ["gpt-5-nano", "gpt-5"],
      ["o1-mini", "o1"],
      ["o3-mini", "o3"],
      ["gemini-2.5-flash-lite", "gemini-2.5-flash"],
      ["gemini-2.0-flash-lite", "gemini-2.0-flash"],
      ["claude-3-5-haiku-20241022", "claude-3-haiku"],
      ["claude-opus-4-5-20251101", "claude-opus-4"],
      ["gpt-3.5-turbo-16k", "gpt-3.5-turbo"],
    ];
    for (const [name, neighbour] of pairs) {
      const own = builtins.find(name, NOW);
      expect(own, name).not.toBeNull();
      expect(own?.model, name).not.toBe(neighbour);
      expect(own, name).not.toBe(builtins.find(neighbour, NOW));
      expect(rateOf(name), `${name} vs ${neighbour}`).not.toBe(rateOf(neighbour));
    }
  });

  it("leaves names no rule covers unpriced rather than borrowing a prefix's price", () => {
    for (const name of [
      "gpt-4o-foo",
      "gpt-4-vision",
      "gemini-1.5-flash-8b",
      "claude-3",
      "gpt-5-turbo",
      "ft:gpt-4o-mini-2024-07-18:acme::abc123",
    ]) {
      expect(builtins.find(name, NOW), name).toBeNull();
    }
  });

  it("prices a Gemini call named by its URL path", () => {
    const p = builtins.find("models/gemini-2.5-flash", NOW);
    expect(p?.model).toBe("gemini-2.5-flash");
    expect(p?.usdPer1kInputTokens.toFixed()).toBe("0.0003");
    expect(builtins.find("publishers/google/models/gemini-2.0-flash-001", NOW)?.model).toBe(
      "gemini-2.0-flash",
    );
  });

  it("prices Bedrock ids at Bedrock's rates: in-region ids apart from global ones, others at the maker's", () => {
    // Bedrock bills in-region Claude Sonnet 4.5 10 % above the global (and Anthropic's) rate.
    expect(rateOf("us.anthropic.claude-sonnet-4-5-20250929-v1:0")).toBe("0.0033");
    expect(rateOf("eu.anthropic.claude-sonnet-4-5-20250929-v1:0")).toBe("0.0033");
    expect(rateOf("anthropic.claude-sonnet-4-5-20250929-v1:0")).toBe("0.0033");
    expect(rateOf("global.anthropic.claude-sonnet-4-5-20250929-v1:0")).toBe("0.003");
    expect(rateOf("claude-sonnet-4-5-20250929")).toBe("0.003");
    expect(rateOf("us.anthropic.claude-3-5-sonnet-20241022-v2%3A0")).toBe("0.003");
    expect(rateOf("us.amazon.nova-pro-v1:0")).toBe("0.0008");
    expect(rateOf("meta.llama3-1-70b-instruct-v1:0")).toBe("0.00072");
    // An id Bedrock does not list falls back to the maker's name, never to a neighbour.
    expect(builtins.find("us.anthropic.claude-opus-4-1-29990101-v1:0", NOW)?.model).toBe("claude-opus-4-1");
  });

  it("maps a service's deployment names through its aliases before matching", () => {
    const aliases = { "Prod-GPT4o": "gpt-4o-2024-08-06", "my-embedder": "openai/text-embedding-3-small" };
    expect(builtins.find("prod-gpt4o", NOW, aliases)?.model).toBe("gpt-4o");
    expect(builtins.find("PROD-GPT4O", NOW, aliases)?.model).toBe("gpt-4o");
    expect(builtins.find("my-embedder", NOW, new Map(Object.entries(aliases)))?.model).toBe(
      "text-embedding-3-small",
    );
    expect(builtins.find("prod-gpt4o", NOW)).toBeNull();
    expect(builtins.find("prod-gpt4o-2", NOW, aliases)).toBeNull();
    // An alias wins over a name that is priced by itself: the deployment decides what runs.
    expect(builtins.find("gpt-4", NOW, { "gpt-4": "gpt-4o" })?.model).toBe("gpt-4o");
  });

  it("lets a custom price for a base name apply to its dated snapshots priced alike", () => {
    const custom = price("gpt-4o", "0.002", "0.008");
    const book = new PriceBook([...builtinModelPrices(), custom]);
    expect(book.find("gpt-4o-2024-08-06", NOW)).toBe(custom);
    expect(book.find("gpt-4o-2024-11-20", NOW)).toBe(custom);
    // A snapshot priced apart keeps its own builtin price.
    expect(book.find("gpt-4o-2024-05-13", NOW)?.usdPer1kInputTokens.toFixed()).toBe("0.005");
  });

  it("applies a dated change of the price database from its start date", () => {
    expect(rateOf("o3", new Date("2025-06-09T23:59:59.999Z"))).toBe("0.01");
    expect(rateOf("o3", new Date("2025-06-10T00:00:00Z"))).toBe("0.002");
    expect(rateOf("o3-2025-04-16", new Date("2025-07-01T00:00:00Z"))).toBe("0.002");
  });
});
