import type { DbClient } from "@tokenmeter/db";
import express, { type Router } from "express";
import { z } from "zod";
import { idJson, idSchema, parseWith } from "../http/validation.js";
import { ADMIN_GROUP_BYS, parseGroupBy } from "../usage/group-by.js";
import { logsQuerySchema, usageLogsPage } from "../usage/logs-query.js";
import { resolvePeriod } from "../usage/period.js";
import { usageBreakdownReport, usageSummaryWithBreakdown } from "../usage/summary.js";

const filterSchema = z.object({
  buyer_id: idSchema.optional(),
  api_service_id: idSchema.optional(),
  seller_id: idSchema.optional(),
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

  // Newest first by (request_timestamp, id), one keyset page at a time (usage/logs-query.ts).
  router.get("/usage/logs", async (req, res) => {
    res.json(await usageLogsPage(db, parseWith(logsQuerySchema, req.query)));
  });

  return router;
}
