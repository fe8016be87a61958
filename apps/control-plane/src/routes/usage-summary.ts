import type { DbClient } from "@tokenmeter/db";
import express, { type Router } from "express";
import { buyerOf, requireBuyerKey } from "../auth.js";
import { BUYER_GROUP_BYS, parseGroupBy } from "../usage/group-by.js";
import { resolvePeriod } from "../usage/period.js";
import { usageBreakdownReport, usageSummaryWithBreakdown } from "../usage/summary.js";

/**
 * `GET /api/v1/usage/summary` and `/usage/breakdown`: the calling buyer's own usage, in any time zone (`tz`),
 * optionally grouped (`group_by=api|model|day|key`). Keys are looked up with `db`, reports read with `reads`.
 */
export function usageSummaryRouter(db: DbClient, reads: DbClient): Router {
  const router = express.Router();
  router.get("/usage/summary", requireBuyerKey(db), async (req, res) => {
    const groupBy = parseGroupBy(req.query.group_by, BUYER_GROUP_BYS);
    const range = resolvePeriod(req.query);
    // The buyer id comes only from the key: no query parameter can widen what a buyer sees.
    const { buyerId } = buyerOf(res);
    res
      .set("Cache-Control", "no-store")
      .json(await usageSummaryWithBreakdown(reads, range, { buyerId }, groupBy));
  });
  router.get("/usage/breakdown", requireBuyerKey(db), async (req, res) => {
    const groupBy = parseGroupBy(req.query.group_by, BUYER_GROUP_BYS, true);
    const range = resolvePeriod(req.query);
    const { buyerId } = buyerOf(res);
    res.set("Cache-Control", "no-store").json(await usageBreakdownReport(reads, groupBy, range, { buyerId }));
  });
  return router;
}
