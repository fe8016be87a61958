export { BUILTIN_PRICES, type BuiltinPrice, builtinModelPrices } from "./builtin-prices.js";
export { computeCost } from "./cost.js";
export { Decimal } from "./decimal.js";
export { PricingError, type PricingErrorCode } from "./errors.js";
export { normaliseModelName } from "./model-names.js";
export { PriceBook } from "./price-book.js";
export { parseUsdRate } from "./rates.js";
export type { ModelPrice, PriceSource, TokenCounts } from "./types.js";
