import { type DbClient, Prisma } from "@tokenmeter/db";
import { generateSellerKey } from "@tokenmeter/keys";
import express, { type Router } from "express";
import { z } from "zod";
import { ApiError } from "../errors.js";
import { idJson, idSchema, parseWith, pathId, queryInt } from "../http/validation.js";

const createSellerSchema = z.object({ name: z.string().trim().min(1).max(200) });
const createKeySchema = z.object({ name: z.string().trim().min(1).max(200).nullish() }).default({});
const listQuerySchema = z.object({ limit: queryInt(1, 1000), before_id: idSchema.optional() });

const renderSeller = (row: { id: bigint; name: string; createdAt: Date }) => ({
  id: idJson(row.id),
  name: row.name,
  created_at: row.createdAt.toISOString(),
});

/** A seller key as listed: its visible prefix and state, never the hash. */
const renderKey = (row: {
  id: bigint;
  sellerId: bigint;
  prefix: string;
  name: string | null;
  createdAt: Date;
  revokedAt: Date | null;
}) => ({
  id: idJson(row.id),
  seller_id: idJson(row.sellerId),
  prefix: row.prefix,
  name: row.name,
  created_at: row.createdAt.toISOString(),
  revoked_at: row.revokedAt?.toISOString() ?? null,
});

const KEY_FIELDS = {
  id: true,
  sellerId: true,
  prefix: true,
  name: true,
  createdAt: true,
  revokedAt: true,
} as const;

async function requireSeller(db: DbClient, id: bigint): Promise<void> {
  if (!(await db.seller.findUnique({ where: { id }, select: { id: true } }))) {
    throw new ApiError("not_found", "seller not found");
  }
}

/** `/admin/sellers` and `/admin/seller-keys`: sellers and their keys (shown once, stored hashed). */
export function adminSellersRouter(db: DbClient): Router {
  const router = express.Router();

  router.post("/sellers", async (req, res) => {
    const body = parseWith(createSellerSchema, req.body);
    res.status(201).json(renderSeller(await db.seller.create({ data: { name: body.name } })));
  });

  router.get("/sellers", async (req, res) => {
    const query = parseWith(listQuerySchema, req.query);
    const rows = await db.seller.findMany({
      where: query.before_id === undefined ? {} : { id: { lt: query.before_id } },
      orderBy: { id: "desc" },
      take: query.limit ?? 100,
    });
    res.json(rows.map(renderSeller));
  });

  router.get("/sellers/:id", async (req, res) => {
    const row = await db.seller.findUnique({ where: { id: pathId(req.params.id, "seller") } });
    if (!row) throw new ApiError("not_found", "seller not found");
    res.json(renderSeller(row));
  });

  router.post("/sellers/:id/api-keys", async (req, res) => {
    const sellerId = pathId(req.params.id, "seller");
    const body = parseWith(createKeySchema, req.body ?? {});
    await requireSeller(db, sellerId);
    const fresh = generateSellerKey();
    try {
      const row = await db.sellerApiKey.create({
        data: { sellerId, keyHash: fresh.hash, prefix: fresh.prefix, name: body.name ?? null },
        select: KEY_FIELDS,
      });
      // The only time the key itself leaves the server; only its SHA-256 is stored.
      res
        .status(201)
        .set("Cache-Control", "no-store")
        .json({ ...renderKey(row), key: fresh.key });
    } catch (error) {
      if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2003") {
        throw new ApiError("not_found", "seller not found");
      }
      throw error;
    }
  });

  router.get("/sellers/:id/api-keys", async (req, res) => {
    const sellerId = pathId(req.params.id, "seller");
    await requireSeller(db, sellerId);
    const rows = await db.sellerApiKey.findMany({
      where: { sellerId },
      orderBy: { id: "asc" },
      select: KEY_FIELDS,
    });
    res.json(rows.map(renderKey));
  });

  // Idempotent: revoking a revoked key keeps its first revocation time and still answers 204.
  router.delete("/seller-keys/:id", async (req, res) => {
    const id = pathId(req.params.id, "seller key");
    const { count } = await db.sellerApiKey.updateMany({
      where: { id, revokedAt: null },
      data: { revokedAt: new Date() },
    });
    if (!count && !(await db.sellerApiKey.findUnique({ where: { id }, select: { id: true } }))) {
      throw new ApiError("not_found", "seller key not found");
    }
    res.status(204).end();
  });

  return router;
}
