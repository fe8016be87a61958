import type { Capture } from "@tokenmeter/capture";
import type { UsageRow } from "@tokenmeter/db";
import { computeCost, type PriceBook } from "@tokenmeter/pricing";
import { extractUsage, type TokenUsage, type UsageRule } from "@tokenmeter/usage";

/** A capture turned into its usage row, with what parsing found (for metrics and logs). */
export interface MeteredCapture {
  row: UsageRow;
  usage: TokenUsage;
  priced: boolean;
}

/** Meters one capture: parses its usage, prices it at the request time and builds its row. Never throws. */
export function meterCapture(
  capture: Capture,
  prices: PriceBook,
  rules: readonly UsageRule[] = [],
): MeteredCapture {
  const usage = extractUsage(
    {
      method: capture.method,
      path: capture.path,
      status: capture.response.status,
      request: { body: capture.request.body, contentType: capture.request.contentType },
      response: { body: capture.response.body, contentType: capture.response.contentType },
    },
    rules,
  );
  const receivedAt = new Date(capture.receivedAt);
  const price = usage.model ? prices.find(usage.model, receivedAt) : null;
  const cost = price && usage.totalTokens > 0 ? computeCost(usage, price) : null;
  const row: UsageRow = {
    requestId: capture.requestId,
    buyerUserId: capture.buyerId,
    apiKeyId: capture.apiKeyId,
    apiServiceId: capture.serviceId,
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
    reasoningTokens: usage.reasoningTokens,
    // NUMERIC(20,10): round half-up at the 10th decimal, the column's own precision.
    tokenCost: cost ? cost.toFixed(10) : "0",
    modelPriceId: price && cost ? price.id : null,
    usageSource: usage.source,
    parser: usage.parser,
    parseError: usage.parseError,
    requestSizeBytes: capture.request.body.size,
    responseSizeBytes: capture.response.body.size,
    upstreamRequestId: capture.response.upstreamRequestId ?? null,
  };
  return { row, usage, priced: cost !== null };
}
