import { type DbClient, Prisma } from "@tokenmeter/db";
import { generateApiKey } from "@tokenmeter/keys";
import express, { type Router } from "express";
import { z } from "zod";
import { ApiError } from "../errors.js";
import { idJson, idSchema, parseWith, pathId, queryInt } from "../http/validation.js";

const createBuyerSchema = z.object({ name: z.string().trim().min(1).max(200) });
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
const listQuerySchema = z.object({ limit: queryInt(1, 1000), before_id: idSchema.optional() });

const renderBuyer = (row: { id: bigint; name: string; createdAt: Date }) => ({
  id: idJson(row.id),
  name: row.name,
  created_at: row.createdAt.toISOString(),
});

/** A key as listed: its visible prefix and state, never the hash. */
const renderKey = (row: {
  id: bigint;
  buyerId: bigint;
  prefix: string;
  name: string | null;
  createdAt: Date;
  revokedAt: Date | null;
  rateLimitPerMinute: number | null;
  maxConcurrentRequests: number | null;
}) => ({
  id: idJson(row.id),
  buyer_id: idJson(row.buyerId),
  prefix: row.prefix,
  name: row.name,
  rate_limit_per_minute: row.rateLimitPerMinute,
  max_concurrent_requests: row.maxConcurrentRequests,
  created_at: row.createdAt.toISOString(),
  revoked_at: row.revokedAt?.toISOString() ?? null,
});

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

/** `/admin/buyers` and `/admin/api-keys`: buyers and their marketplace keys. */
export function adminBuyersRouter(db: DbClient): Router {
  const router = express.Router();

  router.post("/buyers", async (req, res) => {
    const body = parseWith(createBuyerSchema, req.body);
    res.status(201).json(renderBuyer(await db.buyer.create({ data: { name: body.name } })));
  });

  // Newest first with a `before_id` cursor, so a long list never has to be read whole.
  router.get("/buyers", async (req, res) => {
    const query = parseWith(listQuerySchema, req.query);
    const rows = await db.buyer.findMany({
      where: query.before_id === undefined ? {} : { id: { lt: query.before_id } },
      orderBy: { id: "desc" },
      take: query.limit ?? 100,
    });
    res.json(rows.map(renderBuyer));
  });

  router.get("/buyers/:id", async (req, res) => {
    const row = await db.buyer.findUnique({ where: { id: pathId(req.params.id, "buyer") } });
    if (!row) throw new ApiError("not_found", "buyer not found");
    res.json(renderBuyer(row));
  });

  router.post("/buyers/:id/api-keys", async (req, res) => {
    const buyerId = pathId(req.params.id, "buyer");
    // An empty body (no Content-Type) is allowed: the name is optional.
    const body = parseWith(createKeySchema, req.body ?? {});
    if (!(await db.buyer.findUnique({ where: { id: buyerId }, select: { id: true } }))) {
      throw new ApiError("not_found", "buyer not found");
    }
    const fresh = generateApiKey();
    try {
      const row = await db.apiKey.create({
        data: {
          buyerId,
          keyHash: fresh.hash,
          prefix: fresh.prefix,
          name: body.name ?? null,
          rateLimitPerMinute: body.rate_limit_per_minute ?? null,
          maxConcurrentRequests: body.max_concurrent_requests ?? null,
        },
        select: KEY_FIELDS,
      });
      // The only time the key itself leaves the server; only its SHA-256 is stored.
      res
        .status(201)
        .set("Cache-Control", "no-store")
        .json({ ...renderKey(row), key: fresh.key });
    } catch (error) {
      // The buyer was deleted between the check and the insert.
      if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2003") {
        throw new ApiError("not_found", "buyer not found");
      }
      throw error;
    }
  });

  router.get("/buyers/:id/api-keys", async (req, res) => {
    const buyerId = pathId(req.params.id, "buyer");
    if (!(await db.buyer.findUnique({ where: { id: buyerId }, select: { id: true } }))) {
      throw new ApiError("not_found", "buyer not found");
    }
    const rows = await db.apiKey.findMany({ where: { buyerId }, orderBy: { id: "asc" }, select: KEY_FIELDS });
    res.json(rows.map(renderKey));
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

  // Idempotent: revoking a revoked key keeps its first revocation time and still answers 204.
  router.delete("/api-keys/:id", async (req, res) => {
    const id = pathId(req.params.id, "api key");
    const { count } = await db.apiKey.updateMany({
      where: { id, revokedAt: null },
      data: { revokedAt: new Date() },
    });
    if (!count && !(await db.apiKey.findUnique({ where: { id }, select: { id: true } }))) {
      throw new ApiError("not_found", "api key not found");
    }
    res.status(204).end();
  });

  return router;
}
