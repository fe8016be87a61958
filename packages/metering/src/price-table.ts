import { type DbClient, notifyConfigChange, Prisma } from "@tokenmeter/db";
import {
  BUILTIN_PRICES,
  builtinModelPrices,
  Decimal,
  type ModelPrice,
  PriceBook,
  PricingError,
  parsePriceTiers,
  priceTiersJson,
} from "@tokenmeter/pricing";

type PriceRow = Awaited<ReturnType<DbClient["modelPrice"]["findMany"]>>[number];

const versionKey = (model: string, effectiveFrom: Date) => `${model}\u0000${effectiveFrom.getTime()}`;

/** The columns a built-in price sets; tiers as JSON (SQL NULL when flat). */
function builtinColumns(p: ModelPrice) {
  return {
    origin: p.origin,
    inputCostPer1k: p.usdPer1kInputTokens.toFixed(),
    outputCostPer1k: p.usdPer1kOutputTokens.toFixed(),
    cachedInputCostPer1k: p.usdPer1kCachedInputTokens?.toFixed() ?? null,
    cacheWriteCostPer1k: p.usdPer1kCacheWriteTokens?.toFixed() ?? null,
    cacheWrite1hCostPer1k: p.usdPer1kCacheWrite1hTokens?.toFixed() ?? null,
    tiers: priceTiersJson(p.tiers) ?? Prisma.DbNull,
  };
}

const sameRate = (stored: Prisma.Decimal | null, shipped: Decimal | null) =>
  stored === null || shipped === null ? stored === shipped : new Decimal(stored.toString()).equals(shipped);

function sameTiers(stored: Prisma.JsonValue, shipped: ModelPrice["tiers"]): boolean {
  try {
    return (
      JSON.stringify(priceTiersJson(parsePriceTiers(stored))) === JSON.stringify(priceTiersJson(shipped))
    );
  } catch {
    return false;
  }
}

function matchesShipped(row: PriceRow, p: ModelPrice): boolean {
  return (
    row.origin === p.origin &&
    sameRate(row.inputCostPer1k, p.usdPer1kInputTokens) &&
    sameRate(row.outputCostPer1k, p.usdPer1kOutputTokens) &&
    sameRate(row.cachedInputCostPer1k, p.usdPer1kCachedInputTokens) &&
    sameRate(row.cacheWriteCostPer1k, p.usdPer1kCacheWriteTokens) &&
    sameRate(row.cacheWrite1hCostPer1k, p.usdPer1kCacheWrite1hTokens) &&
    sameTiers(row.tiers, p.tiers)
  );
}

/** What a sync changed in `model_prices`. */
export interface BuiltinPriceSync {
  /** Versions shipped for the first time. */
  added: number;
  /** Stored versions whose rates or origin this release corrects. */
  corrected: number;
}

/**
 * Writes the built-in prices into `model_prices` (source 'builtin') so every row can name the price it used.
 * Run by each worker at start; idempotent and safe to run concurrently. A version already stored under the
 * same (model, effective_from) but with other rates is corrected in place: built-in rows are the release's
 * data. Rows already metered keep their stored cost until an operator reprices them.
 */
export async function syncBuiltinPrices(db: DbClient): Promise<BuiltinPriceSync> {
  const shipped = builtinModelPrices();
  const stored = new Map(
    (await db.modelPrice.findMany({ where: { source: "builtin" } })).map((r) => [
      versionKey(r.model, r.effectiveFrom),
      r,
    ]),
  );
  // Only new versions are inserted (most starts insert none); another worker starting at once may insert
  // the same ones first, which skipDuplicates makes harmless.
  const missing = shipped.filter((p) => !stored.has(versionKey(p.model, p.effectiveFrom)));
  const { count: added } =
    missing.length === 0
      ? { count: 0 }
      : await db.modelPrice.createMany({
          data: missing.map((p) => ({
            model: p.model,
            source: "builtin",
            effectiveFrom: p.effectiveFrom,
            ...builtinColumns(p),
          })),
          skipDuplicates: true,
        });
  let corrected = 0;
  for (const p of shipped) {
    const row = stored.get(versionKey(p.model, p.effectiveFrom));
    if (row === undefined || matchesShipped(row, p)) continue;
    await db.modelPrice.update({ where: { id: row.id }, data: builtinColumns(p) });
    corrected++;
  }
  // Workers already running reload them at their next batch (the counter) or sooner (the announcement).
  if (added + corrected > 0) await db.$transaction(async (tx) => notifyConfigChange(tx, "prices"));
  return { added, corrected };
}

/** Built-in versions of this release; stored ones it no longer ships (retired names) are not applied. */
const shippedVersions = new Set(BUILTIN_PRICES.map((b) => versionKey(b.model, new Date(b.effectiveFrom))));

function toModelPrice(r: PriceRow): ModelPrice {
  const optional = (value: Prisma.Decimal | null) => (value === null ? null : new Decimal(value.toString()));
  return {
    id: r.id,
    model: r.model,
    source: r.source === "builtin" ? "builtin" : "custom",
    origin: r.origin,
    usdPer1kInputTokens: new Decimal(r.inputCostPer1k.toString()),
    usdPer1kOutputTokens: new Decimal(r.outputCostPer1k.toString()),
    usdPer1kCachedInputTokens: optional(r.cachedInputCostPer1k),
    usdPer1kCacheWriteTokens: optional(r.cacheWriteCostPer1k),
    usdPer1kCacheWrite1hTokens: optional(r.cacheWrite1hCostPer1k),
    tiers: parsePriceTiers(r.tiers),
    effectiveFrom: r.effectiveFrom,
  };
}

/**
 * Loads every price version from the database into a PriceBook. A row whose tiers are malformed (only
 * possible by writing the table by hand) is left out and reported, rather than priced without its tiers.
 */
export async function loadPriceBook(
  db: DbClient,
  onInvalidRow: (id: bigint, message: string) => void = () => {},
): Promise<PriceBook> {
  const rows = await db.modelPrice.findMany();
  const prices: ModelPrice[] = [];
  for (const r of rows) {
    if (r.source === "builtin" && !shippedVersions.has(versionKey(r.model, r.effectiveFrom))) continue;
    try {
      prices.push(toModelPrice(r));
    } catch (error) {
      if (!(error instanceof PricingError)) throw error;
      onInvalidRow(r.id, error.message);
    }
  }
  return new PriceBook(prices);
}
