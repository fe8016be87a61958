import { classifyDbError, type DbClient, decimalString, notifyConfigChange, Prisma } from "@tokenmeter/db";
import express, { type Router } from "express";
import { z } from "zod";
import { ApiError } from "../errors.js";
import { idJson, parseWith } from "../http/validation.js";
import { modelNameSchema, rateSchema, tiersSchema } from "../usage/rate.js";

const putSchema = z.object({
  input_cost_per_1k: rateSchema,
  output_cost_per_1k: rateSchema,
  cached_input_cost_per_1k: rateSchema.nullish(),
  cache_write_cost_per_1k: rateSchema.nullish(),
  cache_write_1h_cost_per_1k: rateSchema.nullish(),
  tiers: tiersSchema.optional(),
  effective_from: z.iso
    .datetime({ offset: true })
    .transform((value) => new Date(value))
    .optional(),
});

type PriceRow = {
  id: bigint;
  model: string;
  source: string;
  origin: string | null;
  inputCostPer1k: Prisma.Decimal;
  outputCostPer1k: Prisma.Decimal;
  cachedInputCostPer1k: Prisma.Decimal | null;
  cacheWriteCostPer1k: Prisma.Decimal | null;
  cacheWrite1hCostPer1k: Prisma.Decimal | null;
  tiers: Prisma.JsonValue;
  effectiveFrom: Date;
  createdAt: Date;
};

/** A price version with its rates as exact decimal strings (USD per 1K tokens). */
const renderPrice = (row: PriceRow) => ({
  id: idJson(row.id),
  model: row.model,
  source: row.source,
  origin: row.origin,
  input_cost_per_1k: decimalString(row.inputCostPer1k),
  output_cost_per_1k: decimalString(row.outputCostPer1k),
  cached_input_cost_per_1k: row.cachedInputCostPer1k ? decimalString(row.cachedInputCostPer1k) : null,
  cache_write_cost_per_1k: row.cacheWriteCostPer1k ? decimalString(row.cacheWriteCostPer1k) : null,
  cache_write_1h_cost_per_1k: row.cacheWrite1hCostPer1k ? decimalString(row.cacheWrite1hCostPer1k) : null,
  tiers: row.tiers ?? null,
  effective_from: row.effectiveFrom.toISOString(),
  created_at: row.createdAt.toISOString(),
});

const isUniqueViolation = (error: unknown) => classifyDbError(error)?.code === "conflict";

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * `/admin/model-prices`: custom price versions (each PUT adds one) and the list of all versions. A version
 * applies to calls received at or after its `effective_from` (past or future); workers are told at once.
 */
export function adminPricesRouter(db: DbClient): Router {
  const router = express.Router();

  router.put("/model-prices/:model", async (req, res) => {
    const model = parseWith(modelNameSchema, req.params.model);
    const body = parseWith(putSchema, req.body);
    const data = {
      model,
      source: "custom",
      inputCostPer1k: body.input_cost_per_1k.toFixed(),
      outputCostPer1k: body.output_cost_per_1k.toFixed(),
      cachedInputCostPer1k: body.cached_input_cost_per_1k?.toFixed() ?? null,
      cacheWriteCostPer1k: body.cache_write_cost_per_1k?.toFixed() ?? null,
      cacheWrite1hCostPer1k: body.cache_write_1h_cost_per_1k?.toFixed() ?? null,
      tiers: body.tiers ?? Prisma.DbNull,
    };
    // (model, source, effective_from) is unique at millisecond precision. When the caller did not pick
    // the time, two quick PUTs may land in the same millisecond: retry with a later "now".
    for (let attempt = 0; ; attempt++) {
      try {
        // The announcement commits with the price: every worker reloads before metering its next call.
        const row = await db.$transaction(async (tx) => {
          const created = await tx.modelPrice.create({
            data: { ...data, effectiveFrom: body.effective_from ?? new Date() },
          });
          await notifyConfigChange(tx, "prices");
          return created;
        });
        res.status(201).json(renderPrice(row));
        return;
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
        if (body.effective_from || attempt >= 3) {
          throw new ApiError(
            "price_version_exists",
            "a custom price with this effective_from already exists",
          );
        }
        await pause(2);
      }
    }
  });

  router.get("/model-prices", async (req, res) => {
    const { model } = parseWith(z.object({ model: modelNameSchema.optional() }), req.query);
    const rows = await db.modelPrice.findMany({
      where: model === undefined ? {} : { model },
      orderBy: [{ effectiveFrom: "desc" }, { id: "desc" }],
    });
    res.json(rows.map(renderPrice));
  });

  return router;
}
