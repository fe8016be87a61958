export { Decimal } from "decimal.js";
export {
  BUILTIN_PRICES,
  BUILTIN_PRICES_SOURCE,
  type BuiltinPrice,
  builtinModelPrices,
} from "./builtin/builtin-prices.js";
export { computeCost } from "./cost.js";
export { PricingError, type PricingErrorCode } from "./errors.js";
export { normaliseModelName } from "./model-names.js";
export { type ModelAliases, PriceBook } from "./price-book.js";
export { parseUsdRate } from "./rates.js";
export { type PriceTierJson, parsePriceTiers, priceTiersJson } from "./tiers.js";
export type { ModelPrice, PriceSource, PriceTier, TokenCounts } from "./types.js";
