import { type DbClient, unpricedModels } from "@tokenmeter/db";
import {
  loadPriceBook,
  loadServiceSettings,
  loadUsageRules,
  type RepairResult,
  remeter,
  reprice,
} from "@tokenmeter/metering";
import { Decimal } from "decimal.js";
import express, { type Request, type Router } from "express";
import { z } from "zod";
import { ApiError } from "../errors.js";
import { idJson, idSchema, parseWith, queryInt } from "../http/validation.js";
import { modelNameSchema } from "../usage/rate.js";

const instant = z.iso.datetime({ offset: true }).transform((value) => new Date(value));

const windowSchema = z
  .object({
    from: instant,
    to: instant,
    // Writing is never the default: an operator reads the diff, then sends dry_run: false.
    dry_run: z.boolean().default(true),
    actor: z.string().trim().min(1).max(200).optional(),
  })
  .refine((b) => b.from < b.to, { message: "from must be before to", params: { code: "invalid_range" } });

const repriceSchema = windowSchema.and(
  z.object({ model: modelNameSchema.optional(), api_service_id: idSchema.optional() }),
);

const unpricedQuery = z.object({
  from: instant.optional(),
  to: instant.optional(),
  limit: queryInt(1, 1000),
});

/** Who asked: the actor the operator names (the admin token is shared), and where the request came from. */
const actorOf = (req: Request, named: string | undefined) =>
  `${named ?? "admin"} (${req.ip ?? "unknown address"})`;

/** A repair's diff in snake_case; money as exact decimal strings. */
function renderRepair(result: RepairResult & { unreadableCaptures?: number }) {
  return {
    dry_run: result.dryRun,
    adjustment_id: result.adjustmentId === null ? null : idJson(result.adjustmentId),
    rows_scanned: result.rowsScanned,
    rows_changed: result.rowsChanged,
    old_total: result.oldTotal,
    new_total: result.newTotal,
    difference: new Decimal(result.newTotal).minus(result.oldTotal).toFixed(),
    unpriced_before: result.unpricedBefore,
    unpriced_after: result.unpricedAfter,
    ...(result.unreadableCaptures === undefined ? {} : { unreadable_captures: result.unreadableCaptures }),
    by_model: result.byModel.map((m) => ({
      model: m.model,
      rows: m.rows,
      rows_changed: m.rowsChanged,
      old_total: m.oldTotal,
      new_total: m.newTotal,
      unpriced_before: m.unpricedBefore,
      unpriced_after: m.unpricedAfter,
    })),
  };
}

/**
 * `/admin/unpriced-models`, `/admin/reprice`, `/admin/remeter`, `/admin/ledger-adjustments`: find rows
 * without a price and repair past rows on purpose — dry run first, applied in audited chunks, idempotent.
 */
export function adminLedgerRouter(db: DbClient): Router {
  const router = express.Router();

  router.get("/unpriced-models", async (req, res) => {
    const q = parseWith(unpricedQuery, req.query);
    res.json(await unpricedModels(db, { from: q.from, to: q.to, limit: q.limit ?? 200 }));
  });

  router.post("/reprice", async (req, res) => {
    const body = parseWith(repriceSchema, req.body ?? {});
    if (body.api_service_id !== undefined) {
      const found = await db.apiService.findUnique({
        where: { id: body.api_service_id },
        select: { id: true },
      });
      if (!found) throw new ApiError("not_found", "API service not found");
    }
    const [prices, services] = await Promise.all([loadPriceBook(db), loadServiceSettings(db)]);
    const result = await reprice(
      db,
      {
        from: body.from,
        to: body.to,
        model: body.model,
        apiServiceId: body.api_service_id,
        dryRun: body.dry_run,
        actor: actorOf(req, body.actor),
      },
      { prices, services },
    );
    res.json(renderRepair(result));
  });

  router.post("/remeter", async (req, res) => {
    const body = parseWith(windowSchema, req.body ?? {});
    const [prices, rules, services] = await Promise.all([
      loadPriceBook(db),
      loadUsageRules(db),
      loadServiceSettings(db),
    ]);
    const result = await remeter(
      db,
      { from: body.from, to: body.to, dryRun: body.dry_run, actor: actorOf(req, body.actor) },
      { prices, rules, services },
    );
    res.json(renderRepair(result));
  });

  // The audit trail, newest first.
  router.get("/ledger-adjustments", async (req, res) => {
    const q = parseWith(z.object({ limit: queryInt(1, 500) }), req.query);
    const rows = await db.ledgerAdjustment.findMany({ orderBy: { id: "desc" }, take: q.limit ?? 100 });
    res.json(
      rows.map((r) => ({
        id: idJson(r.id),
        kind: r.kind,
        actor: r.actor,
        params: r.params,
        status: r.status,
        rows_scanned: Number(r.rowsScanned),
        rows_changed: Number(r.rowsChanged),
        old_total: new Decimal(r.oldTotal.toString()).toFixed(),
        new_total: new Decimal(r.newTotal.toString()).toFixed(),
        by_model: r.byModel,
        error: r.error,
        started_at: r.startedAt.toISOString(),
        finished_at: r.finishedAt?.toISOString() ?? null,
      })),
    );
  });

  return router;
}
