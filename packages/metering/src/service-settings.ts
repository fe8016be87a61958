import type { DbClient } from "@tokenmeter/db";
import { z } from "zod";

/** What a stream cut off before its usage counts as: a tokenizer estimate, or zero tokens. */
export type TruncatedStreamPolicy = "estimate" | "zero";

/** Every value of TruncatedStreamPolicy. */
export const TRUNCATED_STREAM_POLICIES: readonly TruncatedStreamPolicy[] = ["estimate", "zero"];

/** An API service's metering settings. */
export interface ServiceSettings {
  truncatedStreamPolicy: TruncatedStreamPolicy;
  /** Deployment name (lower-cased) → model, for pricing (Azure OpenAI names deployments, not models). */
  modelAliases: ReadonlyMap<string, string>;
}

/** The settings of a service the worker does not know (yet): the defaults of a new service. */
export const DEFAULT_SERVICE_SETTINGS: ServiceSettings = Object.freeze({
  truncatedStreamPolicy: "estimate",
  modelAliases: new Map<string, string>(),
});

/** Most aliases one service may hold. */
export const MAX_MODEL_ALIASES = 500;

/** model_aliases as the admin API takes it: `{deployment: model}`, non-empty names up to 200 characters. */
export const modelAliasesSchema = z
  .record(z.string().trim().min(1).max(200), z.string().trim().min(1).max(200))
  .refine((m) => Object.keys(m).length <= MAX_MODEL_ALIASES, `at most ${MAX_MODEL_ALIASES} aliases`);

/** Reads stored aliases; anything malformed is ignored (the column is JSONB, written only by the admin API). */
export function aliasMap(json: unknown): ReadonlyMap<string, string> {
  const parsed = modelAliasesSchema.safeParse(json);
  if (!parsed.success) return new Map();
  return new Map(Object.entries(parsed.data).map(([k, v]) => [k.toLowerCase(), v]));
}

/** The model a price is looked up for: the service's alias of the reported name, or the name itself. */
export function pricedModelName(model: string, settings: ServiceSettings): string {
  return settings.modelAliases.get(model.trim().toLowerCase()) ?? model;
}

/** Loads every service's settings, by id. */
export async function loadServiceSettings(db: DbClient): Promise<Map<number, ServiceSettings>> {
  const rows = await db.apiService.findMany({
    select: { id: true, truncatedStreamPolicy: true, modelAliases: true },
  });
  return new Map(
    rows.map((r) => [
      Number(r.id),
      {
        truncatedStreamPolicy: r.truncatedStreamPolicy === "zero" ? "zero" : "estimate",
        modelAliases: aliasMap(r.modelAliases),
      },
    ]),
  );
}
