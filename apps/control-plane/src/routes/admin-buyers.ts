import type { DbClient } from "@tokenmeter/db";
import { generateApiKey } from "@tokenmeter/keys";
import type { Router } from "express";
import { z } from "zod";
import { ApiError } from "../errors.js";
import { idJson, parseWith, pathId } from "../http/validation.js";
import { type KeyRow, keyOwnerRouter, renderKeyRow } from "./key-owners.js";

// Per-key limits the proxy enforces (429 with Retry-After); null or absent means unlimited.
const limitFields = {
  rate_limit_per_minute: z.number().int().min(1).max(10_000_000).nullish(),
  max_concurrent_requests: z.number().int().min(1).max(100_000).nullish(),
};
const createKeySchema = z
  .object({ name: z.string().trim().min(1).max(200).nullish(), ...limitFields })
  .default({});
const patchKeySchema = z
  .object(limitFields)
  .refine((body) => Object.values(body).some((v) => v !== undefined), "nothing to update");

/** A key as listed: its visible prefix, limits and state, never the hash. */
const renderKey = (
  row: KeyRow & { buyerId: bigint; rateLimitPerMinute: number | null; maxConcurrentRequests: number | null },
) => {
  const { id, prefix, name, created_at, revoked_at } = renderKeyRow(row);
  return {
    id,
    buyer_id: idJson(row.buyerId),
    prefix,
    name,
    rate_limit_per_minute: row.rateLimitPerMinute,
    max_concurrent_requests: row.maxConcurrentRequests,
    created_at,
    revoked_at,
  };
};

const KEY_FIELDS = {
  id: true,
  buyerId: true,
  prefix: true,
  name: true,
  createdAt: true,
  revokedAt: true,
  rateLimitPerMinute: true,
  maxConcurrentRequests: true,
} as const;

/** `/admin/buyers` and `/admin/api-keys`: buyers and their marketplace keys (shown once, stored hashed). */
export function adminBuyersRouter(db: DbClient): Router {
  const router = keyOwnerRouter({
    owner: "buyer",
    keyWord: "api key",
    keysPath: "/api-keys",
    createKeySchema,
    createOwner: (name) => db.buyer.create({ data: { name } }),
    listOwners: (beforeId, take) =>
      db.buyer.findMany({
        where: beforeId === undefined ? {} : { id: { lt: beforeId } },
        orderBy: { id: "desc" },
        take,
      }),
    findOwner: (id) => db.buyer.findUnique({ where: { id } }),
    generateKey: generateApiKey,
    insertKey: (buyerId, fresh, body) =>
      db.apiKey.create({
        data: {
          buyerId,
          keyHash: fresh.hash,
          prefix: fresh.prefix,
          name: body.name ?? null,
          rateLimitPerMinute: body.rate_limit_per_minute ?? null,
          maxConcurrentRequests: body.max_concurrent_requests ?? null,
        },
        select: KEY_FIELDS,
      }),
    listKeys: (buyerId) =>
      db.apiKey.findMany({ where: { buyerId }, orderBy: { id: "asc" }, select: KEY_FIELDS }),
    revokeKey: async (id) =>
      (await db.apiKey.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: new Date() } })).count,
    keyExists: async (id) => !!(await db.apiKey.findUnique({ where: { id }, select: { id: true } })),
    renderKey,
  });

  // Limits change within the proxies' key cache TTL, like revocation.
  router.patch("/api-keys/:id", async (req, res) => {
    const id = pathId(req.params.id, "api key");
    const body = parseWith(patchKeySchema, req.body);
    const { count } = await db.apiKey.updateMany({
      where: { id },
      data: {
        rateLimitPerMinute: body.rate_limit_per_minute,
        maxConcurrentRequests: body.max_concurrent_requests,
      },
    });
    if (!count) throw new ApiError("not_found", "api key not found");
    res.json(renderKey(await db.apiKey.findUniqueOrThrow({ where: { id }, select: KEY_FIELDS })));
  });

  return router;
}
