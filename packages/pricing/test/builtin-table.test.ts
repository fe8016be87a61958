import type { ModelInfo, Provider } from "@pydantic/genai-prices";
import { describe, expect, it } from "vitest";
import { buildBuiltinTable, perThousand, renderGeneratedPrices } from "../scripts/builtin-table.js";

const provider = (id: string, models: ModelInfo[]): Provider => ({
  id,
  name: id,
  api_pattern: "x",
  pricing_urls: [`https://${id}.example/pricing`],
  models,
});
const build = (...providers: Provider[]) => buildBuiltinTable(providers, "db 1.0 (2026-01-01)");
const entry = (providers: Provider[], id: string) => build(...providers).models.find((m) => m.id === id);

describe("perThousand", () => {
  it("converts per-million numbers to exact per-1K decimals where float division drifts", () => {
    expect(0.035 / 1000).not.toBe(0.000035);
    expect(perThousand(0.035)).toBe("0.000035");
    expect(perThousand(0.00875)).toBe("0.00000875");
    expect(perThousand(3.4375)).toBe("0.0034375");
    expect(perThousand(1e-7)).toBe("0.0000000001");
    expect(perThousand(600)).toBe("0.6");
    expect(perThousand(0)).toBe("0");
  });

  it("refuses what NUMERIC(20,10) cannot hold and what is not a price", () => {
    expect(() => perThousand(1e-8)).toThrow(/decimal places/);
    expect(() => perThousand(0.1 + 0.2)).toThrow(/decimal places/);
    expect(() => perThousand(-1)).toThrow();
    expect(() => perThousand(Number.NaN)).toThrow();
  });
});

describe("buildBuiltinTable", () => {
  it("takes equals, prefix and regex literals the rules route to the model, never a bare fine-tune prefix", () => {
    const p = provider("acme", [
      {
        id: "acme-1",
        match: {
          or: [
            { equals: "acme-1" },
            { starts_with: "acme-1-pro" },
            { regex: "^acme-one-\\d{8}$" },
            { starts_with: "acme-x-" },
          ],
        },
        prices: { input_mtok: 1, output_mtok: 2 },
      },
      { id: "ft:acme", match: { starts_with: "ft:acme" }, prices: { input_mtok: 3, output_mtok: 4 } },
    ]);
    const { models } = build(p);
    expect(models.find((m) => m.id === "acme-1")?.names).toEqual(["acme-1", "acme-1-pro", "acme-one"]);
    expect(models.find((m) => m.id === "ft:acme")).toBeUndefined();
  });

  it("keeps a name only for the first model the database routes it to", () => {
    const p = provider("acme", [
      { id: "big", match: { starts_with: "acme" }, prices: { input_mtok: 1, output_mtok: 1 } },
      { id: "small", match: { equals: "acme-small" }, prices: { input_mtok: 2, output_mtok: 2 } },
    ]);
    expect(entry([p], "small")).toBeUndefined();
  });

  it("gives a name to the earlier provider and reports the loser", () => {
    const maker = provider("maker", [
      { id: "m-1", match: { equals: "m-1" }, prices: { input_mtok: 1, output_mtok: 1 } },
    ]);
    const host = provider("host", [
      { id: "m-1", match: { equals: "openai/m-1" }, prices: { input_mtok: 9, output_mtok: 9 } },
    ]);
    const { models, report } = buildBuiltinTable([maker, host], "db");
    expect(models.map((m) => `${m.provider}:${m.names.join()}`)).toContain("maker:m-1");
    expect(models.some((m) => m.provider === "host")).toBe(false);
    expect(report.namesLostToEarlierProvider).toEqual(["m-1 (host/m-1 → maker/m-1)"]);
  });

  it("keeps only Bedrock ids from Bedrock's rules, region dropped, global kept", () => {
    const aws = provider("aws", [
      {
        id: "regional.anthropic.claude-x-v1:0",
        match: { or: [{ contains: "claude-x" }, { contains: "us.anthropic.claude-x-v1" }] },
        prices: { input_mtok: 3.3, output_mtok: 16.5 },
      },
      {
        id: "global.anthropic.claude-x-v1:0",
        match: { contains: "global.anthropic.claude-x" },
        prices: { input_mtok: 3, output_mtok: 15 },
      },
    ]);
    const { models } = build(aws);
    // The bare "claude-x" is Anthropic's name; the global rule comes second, so the first rule takes no global id.
    expect(models.find((m) => m.id.startsWith("regional."))?.names).toEqual([
      "anthropic.claude-x-v1:0",
      "anthropic.claude-x-v1",
    ]);
    expect(models.find((m) => m.id.startsWith("global."))).toBeUndefined();
  });

  it("turns tiered fields into one tier per threshold, with every field's rate at that threshold", () => {
    const p = provider("acme", [
      {
        id: "long",
        match: { equals: "long" },
        prices: {
          input_mtok: { base: 1, tiers: [{ start: 200000, price: 2 }] },
          cache_read_mtok: 0.1,
          output_mtok: {
            base: 10,
            tiers: [
              { start: 100000, price: 12 },
              { start: 200000, price: 15 },
            ],
          },
          cache_write_1h_mtok: 2,
        },
      },
    ]);
    expect(entry([p], "long")?.versions).toEqual([
      {
        from: "2024-01-01T00:00:00.000Z",
        input: "0.001",
        output: "0.01",
        cached: "0.0001",
        cacheWrite1h: "0.002",
        tiers: [
          { above: 100000, input: "0.001", output: "0.012", cached: "0.0001", cacheWrite1h: "0.002" },
          { above: 200000, input: "0.002", output: "0.015", cached: "0.0001", cacheWrite1h: "0.002" },
        ],
      },
    ]);
  });

  it("makes dated prices versions and applies a daily window's rates to the version it follows", () => {
    const p = provider("acme", [
      {
        id: "dated",
        match: { equals: "dated" },
        prices: [
          { prices: { input_mtok: 1, output_mtok: 1 } },
          {
            constraint: { type: "start_date", start_date: "2025-06-10" },
            prices: { input_mtok: 0.5, output_mtok: 0.5 },
          },
          {
            constraint: { type: "time_of_date", start_time: "01:00:00Z", end_time: "04:00:00Z" },
            prices: { input_mtok: 0.8, output_mtok: 0.8 },
          },
        ],
      },
    ]);
    const model = entry([p], "dated");
    expect(model?.versions.map((v) => [v.from, v.input])).toEqual([
      ["2024-01-01T00:00:00.000Z", "0.001"],
      ["2025-06-10T00:00:00.000Z", "0.0008"],
    ]);
    expect(model?.origin).toBe(
      "db 1.0 (2026-01-01): acme/dated, https://acme.example/pricing, standard-hours rate; off-peak discount not modelled",
    );
  });

  it("skips models without token prices and reports them", () => {
    const p = provider("acme", [{ id: "tts", match: { equals: "tts" }, prices: { audio_hours: 1 } }]);
    const { models, report } = build(p);
    expect(models.some((m) => m.id === "tts")).toBe(false);
    expect(report.unpricedModels).toEqual(["acme/tts"]);
  });

  it("keeps the seed's prices for its names and takes the database's cache rates only for the same price", () => {
    const p = provider("anthropic", [
      {
        id: "claude-3-haiku",
        match: { starts_with: "claude-3-haiku" },
        prices: {
          input_mtok: 0.25,
          output_mtok: 1.25,
          cache_read_mtok: 0.03,
          cache_write_mtok: 0.3,
          cache_write_1h_mtok: 0.5,
        },
      },
      {
        id: "gpt-4",
        match: { equals: "gpt-4" },
        prices: { input_mtok: 25, output_mtok: 50, cache_read_mtok: 1 },
      },
    ]);
    const { models } = build(p);
    const haiku = models.find((m) => m.provider === "seed" && m.id === "claude-3-haiku");
    expect(haiku?.versions).toEqual([
      {
        from: "2024-01-01T00:00:00.000Z",
        input: "0.00025",
        output: "0.00125",
        cached: "0.00003",
        cacheWrite: "0.0003",
        cacheWrite1h: "0.0005",
      },
    ]);
    expect(haiku?.origin).toBe(
      "seed document; cache rates from db 1.0 (2026-01-01): anthropic/claude-3-haiku, https://anthropic.example/pricing",
    );
    const gpt4 = models.find((m) => m.provider === "seed" && m.id === "gpt-4");
    expect(gpt4?.versions).toEqual([{ from: "2024-01-01T00:00:00.000Z", input: "0.03", output: "0.06" }]);
    expect(models.find((m) => m.names.includes("gemini-1.0-pro"))?.id).toBe("gemini-pro");
  });

  it("leaves dated names to the snapshot rule when their base name prices them alike", () => {
    const p = provider("acme", [
      {
        id: "acme-2",
        match: {
          or: [{ equals: "acme-2" }, { equals: "acme-2-2025-01-01" }, { equals: "acme-2-2024-01-01" }],
        },
        prices: { input_mtok: 1, output_mtok: 1 },
      },
      { id: "acme-2-old", match: { equals: "acme-2-2023-01-01" }, prices: { input_mtok: 2, output_mtok: 2 } },
    ]);
    const { models, report } = build(p);
    expect(models.find((m) => m.id === "acme-2")?.names).toEqual(["acme-2"]);
    expect(models.find((m) => m.id === "acme-2-old")?.names).toEqual(["acme-2-2023-01-01"]);
    expect(report.redundantNames).toBe(2);
  });

  it("renders the same text for the same data", () => {
    const p = provider("acme", [
      { id: "a", match: { equals: "a" }, prices: { input_mtok: 1, output_mtok: 1 } },
    ]);
    const once = renderGeneratedPrices(build(p).models, "db");
    expect(renderGeneratedPrices(build(p).models, "db")).toBe(once);
    expect(once).toContain('export const GENERATED_SOURCE = "db";');
  });
});
