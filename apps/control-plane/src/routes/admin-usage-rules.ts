import { type DbClient, notifyConfigChange } from "@tokenmeter/db";
import { checkUsageRule } from "@tokenmeter/usage";
import express, { type Router } from "express";
import { z } from "zod";
import { ApiError } from "../errors.js";
import { idJson, idSchema, parseWith } from "../http/validation.js";

const nameSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, "letters, digits, . _ - (at most 100)");
const pattern = z.string().min(1).max(1000).nullish();
const putSchema = z.object({
  input_tokens: pattern,
  output_tokens: pattern,
  total_tokens: pattern,
  model: pattern,
  api_service_id: idSchema.nullish(),
  enabled: z.boolean().optional(),
});

type RuleRow = {
  id: bigint;
  name: string;
  apiServiceId: bigint | null;
  inputTokensPattern: string | null;
  outputTokensPattern: string | null;
  totalTokensPattern: string | null;
  modelPattern: string | null;
  enabled: boolean;
  createdAt: Date;
  updatedAt: Date;
};

const renderRule = (r: RuleRow) => ({
  id: idJson(r.id),
  name: r.name,
  api_service_id: r.apiServiceId === null ? null : idJson(r.apiServiceId),
  input_tokens: r.inputTokensPattern,
  output_tokens: r.outputTokensPattern,
  total_tokens: r.totalTokensPattern,
  model: r.modelPattern,
  enabled: r.enabled,
  created_at: r.createdAt.toISOString(),
  updated_at: r.updatedAt.toISOString(),
});

/**
 * `/admin/usage-rules`: operators' regex rules (RE2 syntax, one capture group each) for responses no parser
 * understands. Tried after the built-in parsers, oldest first; workers are told of a change at once. A rule
 * that does not compile is refused here, never stored.
 */
export function adminUsageRulesRouter(db: DbClient): Router {
  const router = express.Router();

  router.put("/usage-rules/:name", async (req, res) => {
    const name = parseWith(nameSchema, req.params.name);
    const body = parseWith(putSchema, req.body);
    const problem = checkUsageRule({
      name,
      inputTokens: body.input_tokens ?? undefined,
      outputTokens: body.output_tokens ?? undefined,
      totalTokens: body.total_tokens ?? undefined,
      model: body.model ?? undefined,
    });
    if (problem) throw new ApiError("invalid_rule", problem);
    if (body.api_service_id != null) {
      const service = await db.apiService.findUnique({
        where: { id: body.api_service_id },
        select: { id: true },
      });
      if (!service) throw new ApiError("not_found", "API service not found");
    }
    const data = {
      apiServiceId: body.api_service_id ?? null,
      inputTokensPattern: body.input_tokens ?? null,
      outputTokensPattern: body.output_tokens ?? null,
      totalTokensPattern: body.total_tokens ?? null,
      modelPattern: body.model ?? null,
      enabled: body.enabled ?? true,
    };
    const existing = await db.usageRule.findUnique({ where: { name }, select: { id: true } });
    const row = await db.$transaction(async (tx) => {
      const saved = await tx.usageRule.upsert({ where: { name }, create: { name, ...data }, update: data });
      await notifyConfigChange(tx, "rules");
      return saved;
    });
    res.status(existing ? 200 : 201).json(renderRule(row));
  });

  router.get("/usage-rules", async (_req, res) => {
    const rows = await db.usageRule.findMany({ orderBy: { id: "asc" } });
    res.json(rows.map(renderRule));
  });

  router.delete("/usage-rules/:name", async (req, res) => {
    const name = parseWith(nameSchema, req.params.name);
    const count = await db.$transaction(async (tx) => {
      const deleted = await tx.usageRule.deleteMany({ where: { name } });
      if (deleted.count > 0) await notifyConfigChange(tx, "rules");
      return deleted.count;
    });
    if (count === 0) throw new ApiError("not_found", "usage rule not found");
    res.status(204).end();
  });

  return router;
}
