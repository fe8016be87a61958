import type { Capture } from "@tokenmeter/capture";
import { requestTimeOf, type UsageRow } from "@tokenmeter/db";
import type { PriceBook } from "@tokenmeter/pricing";
import { extractUsage, type TokenUsage, type UsageRule } from "@tokenmeter/usage";
import { priceUsage } from "./price-usage.js";
import { DEFAULT_SERVICE_SETTINGS, type ServiceSettings } from "./service-settings.js";

/** What metering a capture reads besides the capture: prices, the service's rules and settings. */
export interface MeteringContext {
  prices: PriceBook;
  /** Operators' rules that apply to the capture's service. */
  rules?: readonly UsageRule[];
  service?: ServiceSettings;
}

/** A capture turned into its usage row, with what parsing found (for metrics and logs). */
export interface MeteredCapture {
  row: UsageRow;
  usage: TokenUsage;
  /** The row has tokens and a price (false for unpriced rows and rows without tokens). */
  priced: boolean;
  /** The row has tokens, a model and no price: a price reload may still find one. */
  unpricedModel: string | null;
}

/**
 * How usage extraction is asked to count a stream cut off before its usage (the service's
 * `truncated_stream_policy`). Handed to `extractUsage` with the parsers that take it.
 */
export function usageOptionsFor(service: ServiceSettings) {
  return { missingUsage: service.truncatedStreamPolicy };
}

/** Meters one capture: parses its usage, prices it at the request time and builds its row. Never throws. */
export function meterCapture(capture: Capture, context: MeteringContext): MeteredCapture {
  const service = context.service ?? DEFAULT_SERVICE_SETTINGS;
  const usage = extractUsage(
    {
      method: capture.method,
      path: capture.path,
      status: capture.response.status,
      request: { body: capture.request.body, contentType: capture.request.contentType },
      response: { body: capture.response.body, contentType: capture.response.contentType },
    },
    { rules: context.rules ?? [], ...usageOptionsFor(service) },
  );
  // The row is dated by its UUIDv7 request id (the proxy makes both from one clock reading): a capture whose
  // receivedAt disagrees with its id is priced and stored at the id's millisecond, so it can never make a
  // second row under the ledger's (request_id, request_timestamp) key.
  const receivedAt = requestTimeOf(capture.requestId) ?? new Date(capture.receivedAt);
  const row: UsageRow = {
    requestId: capture.requestId,
    buyerUserId: BigInt(capture.buyerId),
    apiKeyId: BigInt(capture.apiKeyId),
    apiServiceId: BigInt(capture.serviceId),
    requestTimestamp: receivedAt,
    httpMethod: capture.method,
    path: capture.path,
    statusCode: capture.response.status,
    latencyMs: capture.latencyMs,
    ttfbMs: capture.ttfbMs ?? null,
    streamed: capture.streamed,
    upstreamReached: capture.upstreamReached,
    errorCode: capture.errorCode ?? null,
    modelName: usage.model ? usage.model.slice(0, 200) : null,
    inputTokens: usage.inputTokens,
    outputTokens: usage.outputTokens,
    totalTokens: usage.totalTokens,
    cachedInputTokens: usage.cachedInputTokens,
    cacheWriteTokens: usage.cacheWriteTokens,
    cacheWrite1hTokens: cacheWrite1hOf(usage),
    reasoningTokens: usage.reasoningTokens,
    tokenCost: null,
    modelPriceId: null,
    usageSource: usage.source,
    parser: usage.parser,
    parseError: usage.parseError,
    requestSizeBytes: capture.request.body.size,
    responseSizeBytes: capture.response.body.size,
    upstreamRequestId: capture.response.upstreamRequestId ?? null,
  };
  return repriceMetered({ row, usage, priced: false, unpricedModel: null }, context.prices, service);
}

/** Prices (again) an already parsed capture, e.g. after a price reload found a model that was missing. */
export function repriceMetered(
  metered: MeteredCapture,
  prices: PriceBook,
  service: ServiceSettings = DEFAULT_SERVICE_SETTINGS,
): MeteredCapture {
  const { row } = metered;
  const price = priceUsage(row, row.modelName, row.requestTimestamp, prices, service);
  return {
    ...metered,
    row: { ...row, tokenCost: price.tokenCost, modelPriceId: price.modelPriceId },
    priced: price.price !== null,
    unpricedModel: price.tokenCost === null && row.modelName ? row.modelName : null,
  };
}

// One-hour cache writes are reported by the parsers that know them (Anthropic's cache_creation breakdown).
function cacheWrite1hOf(usage: TokenUsage): number {
  const n = (usage as TokenUsage & { cacheWrite1hTokens?: unknown }).cacheWrite1hTokens;
  return typeof n === "number" && Number.isSafeInteger(n) && n >= 0 ? Math.min(n, usage.cacheWriteTokens) : 0;
}
