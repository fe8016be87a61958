import type { DbClient } from "@tokenmeter/db";
import { costNumber, decimalString } from "@tokenmeter/db";
import express, { type Router } from "express";
import { z } from "zod";
import { idJson, idSchema, parseWith, queryInt } from "../http/validation.js";
import { ADMIN_GROUP_BYS, parseGroupBy } from "../usage/group-by.js";
import { resolvePeriod } from "../usage/period.js";
import { usageBreakdownReport, usageSummaryWithBreakdown } from "../usage/summary.js";

const filterSchema = z.object({
  buyer_id: idSchema.optional(),
  api_service_id: idSchema.optional(),
  seller_id: idSchema.optional(),
});
const logsSchema = filterSchema.extend({ limit: queryInt(1, 500), before_id: idSchema.optional() });

type LogRow = Awaited<ReturnType<DbClient["usageLog"]["findMany"]>>[number];

/** A raw usage row in snake_case; ids and byte counts as numbers, the cost as number and exact string. */
const renderLog = (row: LogRow) => ({
  id: idJson(row.id),
  request_id: row.requestId,
  buyer_id: idJson(row.buyerUserId),
  api_key_id: idJson(row.apiKeyId),
  api_service_id: idJson(row.apiServiceId),
  request_timestamp: row.requestTimestamp.toISOString(),
  http_method: row.httpMethod,
  path: row.path,
  status_code: row.statusCode,
  latency_ms: row.latencyMs,
  ttfb_ms: row.ttfbMs,
  streamed: row.streamed,
  upstream_reached: row.upstreamReached,
  error_code: row.errorCode,
  model_name: row.modelName,
  input_tokens: row.inputTokens,
  output_tokens: row.outputTokens,
  total_tokens: row.totalTokens,
  cached_input_tokens: row.cachedInputTokens,
  cache_write_tokens: row.cacheWriteTokens,
  cache_write_1h_tokens: row.cacheWrite1hTokens,
  reasoning_tokens: row.reasoningTokens,
  // null: the row has tokens and no price (see GET /admin/unpriced-models and POST /admin/reprice).
  token_cost: row.tokenCost === null ? null : costNumber(row.tokenCost.toString()),
  token_cost_exact: row.tokenCost === null ? null : decimalString(row.tokenCost),
  model_price_id: row.modelPriceId === null ? null : idJson(row.modelPriceId),
  usage_source: row.usageSource,
  parser: row.parser,
  parse_error: row.parseError,
  request_size_bytes: Number(row.requestSizeBytes),
  response_size_bytes: Number(row.responseSizeBytes),
  upstream_request_id: row.upstreamRequestId,
  created_at: row.createdAt.toISOString(),
});

/**
 * `/admin/usage/*`: summaries and breakdowns from the rollups (read with `heavy`, the admin reports' own pool
 * and statement_timeout), and raw rows for drill-down.
 */
export function adminUsageRouter(db: DbClient, heavy: DbClient): Router {
  const router = express.Router();

  // Without filters the summary covers every buyer (marketplace-wide totals).
  router.get("/usage/summary", async (req, res) => {
    const groupBy = parseGroupBy(req.query.group_by, ADMIN_GROUP_BYS);
    const range = resolvePeriod(req.query);
    const filter = parseWith(filterSchema, req.query);
    const scope = {
      buyerId: filter.buyer_id,
      apiServiceId: filter.api_service_id,
      sellerId: filter.seller_id,
    };
    const summary = await usageSummaryWithBreakdown(heavy, range, scope, groupBy);
    res.json({
      ...summary,
      buyer_id: filter.buyer_id === undefined ? null : idJson(filter.buyer_id),
      api_service_id: filter.api_service_id === undefined ? null : idJson(filter.api_service_id),
      seller_id: filter.seller_id === undefined ? null : idJson(filter.seller_id),
    });
  });

  router.get("/usage/breakdown", async (req, res) => {
    const groupBy = parseGroupBy(req.query.group_by, ADMIN_GROUP_BYS, true);
    const range = resolvePeriod(req.query);
    const filter = parseWith(filterSchema, req.query);
    const scope = {
      buyerId: filter.buyer_id,
      apiServiceId: filter.api_service_id,
      sellerId: filter.seller_id,
    };
    res.json(await usageBreakdownReport(heavy, groupBy, range, scope));
  });

  // Newest first by id; pass the last row's id as before_id for the next page.
  router.get("/usage/logs", async (req, res) => {
    const query = parseWith(logsSchema, req.query);
    const limit = query.limit ?? 100;
    const rows = await db.usageLog.findMany({
      where: {
        buyerUserId: query.buyer_id,
        apiServiceId: query.api_service_id,
        id: query.before_id === undefined ? undefined : { lt: query.before_id },
      },
      orderBy: { id: "desc" },
      take: limit,
    });
    const last = rows.at(-1);
    res.json({
      rows: rows.map(renderLog),
      next_before_id: rows.length === limit && last ? idJson(last.id) : null,
    });
  });

  return router;
}
