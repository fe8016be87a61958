import type { DbClient } from "@tokenmeter/db";
import express, { type Router } from "express";
import { requireSellerKey, sellerOf } from "../auth-seller.js";
import { idJson } from "../http/validation.js";
import { parseGroupBy, SELLER_GROUP_BYS } from "../usage/group-by.js";
import { resolvePeriod } from "../usage/period.js";
import { usageBreakdownReport, usageSummaryWithBreakdown } from "../usage/summary.js";

/**
 * `GET /api/v1/seller/usage/summary|breakdown`: the calling seller's services only, in any time zone, grouped
 * by `service|model|buyer|day`. The seller id comes only from the key, so no query parameter can widen it.
 */
export function sellerUsageRouter(db: DbClient, reads: DbClient): Router {
  const router = express.Router();
  router.use("/seller", requireSellerKey(db));

  router.get("/seller/usage/summary", async (req, res) => {
    const groupBy = parseGroupBy(req.query.group_by, SELLER_GROUP_BYS);
    const range = resolvePeriod(req.query);
    const { sellerId } = sellerOf(res);
    const summary = await usageSummaryWithBreakdown(reads, range, { sellerId }, groupBy);
    res.set("Cache-Control", "no-store").json({ ...summary, seller_id: idJson(sellerId) });
  });

  router.get("/seller/usage/breakdown", async (req, res) => {
    const groupBy = parseGroupBy(req.query.group_by, SELLER_GROUP_BYS, true);
    const range = resolvePeriod(req.query);
    const { sellerId } = sellerOf(res);
    const report = await usageBreakdownReport(reads, groupBy, range, { sellerId });
    res.set("Cache-Control", "no-store").json({ ...report, seller_id: idJson(sellerId) });
  });

  return router;
}
