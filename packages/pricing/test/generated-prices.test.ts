import { readFileSync } from "node:fs";
import { calcPrice } from "@pydantic/genai-prices";
import { Decimal } from "decimal.js";
import { describe, expect, it } from "vitest";
import { buildBuiltinTable, renderGeneratedPrices } from "../scripts/builtin-table.js";
import { PRICE_DATABASE_SOURCE, priceDatabaseProviders } from "../scripts/price-database.js";
import { builtinModelPrices } from "../src/builtin/builtin-prices.js";
import { GENERATED_MODELS } from "../src/builtin/generated-prices.js";
import { computeCost } from "../src/cost.js";
import { PriceBook } from "../src/price-book.js";
import type { TokenCounts } from "../src/types.js";

const GENERATED_FILE = new URL("../src/builtin/generated-prices.ts", import.meta.url);

describe("the generated built-in table", () => {
  it("is exactly what `npm run prices:update` writes from the pinned price database (regenerating is a no-op)", () => {
    const { models } = buildBuiltinTable(priceDatabaseProviders(), PRICE_DATABASE_SOURCE);
    const regenerated = renderGeneratedPrices(models, PRICE_DATABASE_SOURCE);
    expect(regenerated === readFileSync(GENERATED_FILE, "utf8")).toBe(true);
  });

  /**
   * An independent check of names, conversion, tiers and dates: for every name the table prices from the
   * database, our exact cost equals the database's own calcPrice (JS numbers, so within float error) for
   * calls below, at and across its tiers, with cache reads, 5-minute and 1-hour cache writes.
   */
  it("costs every call as the price database itself does", () => {
    const book = new PriceBook(builtinModelPrices());
    const calls: TokenCounts[] = [
      { inputTokens: 1000, cachedInputTokens: 0, cacheWriteTokens: 0, outputTokens: 500, reasoningTokens: 0 },
      {
        inputTokens: 12_000,
        cachedInputTokens: 4000,
        cacheWriteTokens: 3000,
        cacheWrite1hTokens: 1000,
        outputTokens: 700,
        reasoningTokens: 100,
      },
    ];
    let compared = 0;
    const mismatches: string[] = [];
    for (const model of GENERATED_MODELS) {
      if (model.provider === "seed") continue;
      const dailyWindow = model.origin.includes("standard-hours rate");
      const versions = dailyWindow ? model.versions.slice(-1) : model.versions;
      for (const version of versions) {
        // Mid-morning UTC is inside every daily standard-hours window in the data.
        const at = new Date(Date.parse(version.from) + 86_400_000 + 8 * 3_600_000);
        const thresholds = (version.tiers ?? []).map((t) => t.above);
        const tierCalls = thresholds.flatMap((above) =>
          [above, above + 1].map((inputTokens) => ({
            inputTokens,
            cachedInputTokens: 1000,
            cacheWriteTokens: 2000,
            cacheWrite1hTokens: 500,
            outputTokens: 3000,
            reasoningTokens: 0,
          })),
        );
        for (const name of model.names) {
          const price = book.find(name, at);
          for (const call of [...calls, ...tierCalls]) {
            const ours = price === null ? null : computeCost(call, price);
            const usage = {
              input_tokens: call.inputTokens,
              cache_read_tokens: call.cachedInputTokens,
              cache_write_tokens: call.cacheWriteTokens,
              cache_write_1h_tokens: call.cacheWrite1hTokens ?? 0,
              output_tokens: call.outputTokens,
            };
            // Normalised names drop prefixes the database's rules may spell out (a Bedrock region, "google/").
            const theirs =
              [name, `us.${name}`, `google/${name}`]
                .map((variant) => calcPrice(usage, variant, { providerId: model.provider, timestamp: at }))
                .find((result) => result !== null) ?? null;
            compared++;
            const expected = theirs === null ? null : new Decimal(String(theirs.total_price));
            const close =
              ours !== null &&
              expected !== null &&
              ours.minus(expected).abs().lessThanOrEqualTo(expected.abs().times("1e-12").plus("1e-15"));
            if (!close) {
              mismatches.push(
                `${model.provider} ${name} @${at.toISOString()} in=${call.inputTokens}: ${ours} vs ${expected}`,
              );
            }
          }
        }
      }
    }
    expect(mismatches).toEqual([]);
    expect(compared).toBeGreaterThan(1000);
  });
});
