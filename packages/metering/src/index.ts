export {
  packCapture,
  shouldRetainCapture,
  unpackCapture,
} from "./capture-retention.js";
export { decodeCaptureBodies } from "./decode-capture.js";
export {
  type MeteredCapture,
  type MeteringContext,
  meterCapture,
  repriceMetered,
  usageOptionsFor,
} from "./meter-capture.js";
export { loadPriceBook, syncBuiltinPrices } from "./price-table.js";
export { priceUsage, type RowPrice, type StoredCounts } from "./price-usage.js";
export { type RemeterInputs, type RemeterRequest, type RemeterResult, remeter } from "./remeter.js";
export { DEFAULT_REPAIR_CHUNK, type RepairResult } from "./repair-run.js";
export type { ModelRepair, RepairSummary } from "./repair-tally.js";
export { type RepriceInputs, type RepriceRequest, reprice } from "./reprice.js";
export {
  aliasMap,
  DEFAULT_SERVICE_SETTINGS,
  loadServiceSettings,
  MAX_MODEL_ALIASES,
  modelAliasesSchema,
  pricedModelName,
  type ServiceSettings,
  TRUNCATED_STREAM_POLICIES,
  type TruncatedStreamPolicy,
} from "./service-settings.js";
export { loadUsageRules, rulesFor, type ScopedUsageRule } from "./usage-rules.js";
