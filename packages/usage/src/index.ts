export { MAX_TOKEN_COUNT } from "./counts.js";
export { type DecodedBody, decodeBody, MAX_DECODED_BYTES } from "./decode.js";
export {
  type DecodeLimits,
  decodeBodyBounded,
  REQUEST_DECODE_LIMITS,
  RESPONSE_DECODE_LIMITS,
} from "./decode-bounded.js";
export { extractUsage, PARSER_NAMES } from "./extract-usage.js";
export { MAX_MODEL_LENGTH, requestedModel } from "./request.js";
export { checkUsageRule, DEFAULT_RULES } from "./rules.js";
export type { ExchangeForParsing, TokenUsage, UsageRule, UsageSource } from "./types.js";
