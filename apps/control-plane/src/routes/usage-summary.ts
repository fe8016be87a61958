import type { DbClient } from "@tokenmeter/db";
import express, { type Router } from "express";
import { buyerOf, requireBuyerKey } from "../auth.js";
import { resolvePeriod } from "../usage/period.js";
import { usageSummary } from "../usage/summary.js";

/** `GET /api/v1/usage/summary`: the calling buyer's own usage, read from the daily rollups. */
export function usageSummaryRouter(db: DbClient): Router {
  const router = express.Router();
  router.get("/usage/summary", requireBuyerKey(db), async (req, res) => {
    const range = resolvePeriod(req.query);
    // The buyer id comes only from the key: no query parameter can widen what a buyer sees.
    const { buyerId } = buyerOf(res);
    res.set("Cache-Control", "no-store").json(await usageSummary(db, range, { buyerId }));
  });
  return router;
}
