import type { DbClient } from "@tokenmeter/db";
import express, { type Router } from "express";
import { requireSellerKey, sellerOf } from "../auth-seller.js";
import { ApiError } from "../errors.js";
import { idJson } from "../http/validation.js";
import { resolvePeriod } from "../usage/period.js";
import { type GroupBy, usageBreakdown } from "../usage/queries.js";
import { usageSummary } from "../usage/summary.js";

/** What a seller can group their usage by. */
const SELLER_GROUP_BYS = ["service", "model", "buyer", "day"] as const satisfies readonly GroupBy[];

function sellerGroupBy(value: unknown, required: boolean): GroupBy | undefined {
  if (value === undefined && !required) return undefined;
  if (SELLER_GROUP_BYS.includes(value as (typeof SELLER_GROUP_BYS)[number])) return value as GroupBy;
  throw new ApiError("invalid_group_by", `group_by must be one of ${SELLER_GROUP_BYS.join(", ")}`);
}

/**
 * `GET /api/v1/seller/usage/summary|breakdown`: the calling seller's services only. The seller id comes only
 * from the key, so no query parameter can widen what a seller sees.
 */
export function sellerUsageRouter(db: DbClient): Router {
  const router = express.Router();
  router.use("/seller", requireSellerKey(db));

  router.get("/seller/usage/summary", async (req, res) => {
    const groupBy = sellerGroupBy(req.query.group_by, false);
    const range = resolvePeriod(req.query);
    const { sellerId } = sellerOf(res);
    const summary = await usageSummary(db, range, { sellerId });
    const breakdown =
      groupBy === undefined
        ? undefined
        : {
            group_by: groupBy,
            rows: await usageBreakdown(db, groupBy, { from: range.from, to: range.to, sellerId }),
          };
    res.set("Cache-Control", "no-store").json({ ...summary, seller_id: idJson(sellerId), breakdown });
  });

  router.get("/seller/usage/breakdown", async (req, res) => {
    const groupBy = sellerGroupBy(req.query.group_by, true) as GroupBy;
    const range = resolvePeriod(req.query);
    const { sellerId } = sellerOf(res);
    const rows = await usageBreakdown(db, groupBy, { from: range.from, to: range.to, sellerId });
    res
      .set("Cache-Control", "no-store")
      .json({ group_by: groupBy, period: range.period, from: range.from, to: range.to, rows });
  });

  return router;
}
