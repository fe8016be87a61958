import { ALERT_KINDS, isAlertKind, parseAlertParams, resolveAlertRules } from "@tokenmeter/alerts";
import type { DbClient, Prisma } from "@tokenmeter/db";
import express, { type Router } from "express";
import { z } from "zod";
import { ApiError } from "../errors.js";
import { idJson, idSchema, parseWith, queryInt } from "../http/validation.js";

const listSchema = z.object({
  state: z.enum(["open", "resolved"]).optional(),
  kind: z.string().optional(),
  limit: queryInt(1, 500),
  before_id: idSchema.optional(),
});
const ruleBodySchema = z.strictObject({ enabled: z.boolean().optional(), params: z.unknown().optional() });

type AlertRow = {
  id: bigint;
  kind: string;
  fingerprint: string;
  state: string;
  summary: string;
  evidence: Prisma.JsonValue;
  openedAt: Date;
  lastSeenAt: Date;
  resolvedAt: Date | null;
};

/** An alert in snake_case, with its evidence (buyer, service, model, figures) as the evaluator stored it. */
const renderAlert = (row: AlertRow) => ({
  id: idJson(row.id),
  kind: row.kind,
  fingerprint: row.fingerprint,
  state: row.state,
  summary: row.summary,
  evidence: row.evidence,
  opened_at: row.openedAt.toISOString(),
  last_seen_at: row.lastSeenAt.toISOString(),
  resolved_at: row.resolvedAt?.toISOString() ?? null,
});

async function rules(db: DbClient) {
  return resolveAlertRules(await db.alertRule.findMany()).map((rule) => ({
    kind: rule.kind,
    enabled: rule.enabled,
    params: rule.params,
  }));
}

/** `/admin/alerts` (newest first, `state`, `kind`, `before_id`) and `/admin/alert-rules` (one rule per kind). */
export function adminAlertsRouter(db: DbClient): Router {
  const router = express.Router();

  router.get("/alerts", async (req, res) => {
    const query = parseWith(listSchema, req.query);
    const rows = await db.alert.findMany({
      where: {
        state: query.state,
        kind: query.kind,
        id: query.before_id === undefined ? undefined : { lt: query.before_id },
      },
      orderBy: { id: "desc" },
      take: query.limit ?? 100,
    });
    res.json(rows.map(renderAlert));
  });

  router.get("/alert-rules", async (_req, res) => {
    res.json(await rules(db));
  });

  // Replaces a kind's parameters (missing ones take their defaults) and/or switches it on or off.
  router.put("/alert-rules/:kind", async (req, res) => {
    const kind = req.params.kind;
    if (!isAlertKind(kind)) {
      throw new ApiError("not_found", `no alert rule kind "${kind}" (kinds: ${ALERT_KINDS.join(", ")})`);
    }
    const body = parseWith(ruleBodySchema, req.body ?? {});
    const stored = await db.alertRule.findUnique({ where: { kind } });
    const input = body.params === undefined ? (stored?.params ?? {}) : body.params;
    let params: object;
    try {
      params = parseAlertParams(kind, input) as object;
    } catch (error) {
      const issue = (error as z.ZodError).issues?.[0];
      throw new ApiError(
        "invalid_rule",
        `${issue?.path.join(".") || "params"}: ${issue?.message ?? "invalid"}`,
      );
    }
    const enabled = body.enabled ?? stored?.enabled ?? true;
    await db.alertRule.upsert({
      where: { kind },
      create: { kind, enabled, params },
      update: { enabled, params },
    });
    res.json((await rules(db)).find((rule) => rule.kind === kind));
  });

  return router;
}
