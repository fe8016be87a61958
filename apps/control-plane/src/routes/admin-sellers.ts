import type { DbClient } from "@tokenmeter/db";
import { generateSellerKey } from "@tokenmeter/keys";
import type { Router } from "express";
import { z } from "zod";
import { idJson } from "../http/validation.js";
import { keyOwnerRouter, renderKeyRow } from "./key-owners.js";

const createKeySchema = z.object({ name: z.string().trim().min(1).max(200).nullish() }).default({});

const KEY_FIELDS = {
  id: true,
  sellerId: true,
  prefix: true,
  name: true,
  createdAt: true,
  revokedAt: true,
} as const;

/** `/admin/sellers` and `/admin/seller-keys`: sellers and their keys (shown once, stored hashed). */
export function adminSellersRouter(db: DbClient): Router {
  return keyOwnerRouter({
    owner: "seller",
    keyWord: "seller key",
    keysPath: "/seller-keys",
    createKeySchema,
    createOwner: (name) => db.seller.create({ data: { name } }),
    listOwners: (beforeId, take) =>
      db.seller.findMany({
        where: beforeId === undefined ? {} : { id: { lt: beforeId } },
        orderBy: { id: "desc" },
        take,
      }),
    findOwner: (id) => db.seller.findUnique({ where: { id } }),
    generateKey: generateSellerKey,
    insertKey: (sellerId, fresh, body) =>
      db.sellerApiKey.create({
        data: { sellerId, keyHash: fresh.hash, prefix: fresh.prefix, name: body.name ?? null },
        select: KEY_FIELDS,
      }),
    listKeys: (sellerId) =>
      db.sellerApiKey.findMany({ where: { sellerId }, orderBy: { id: "asc" }, select: KEY_FIELDS }),
    revokeKey: async (id) =>
      (await db.sellerApiKey.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: new Date() } }))
        .count,
    keyExists: async (id) => !!(await db.sellerApiKey.findUnique({ where: { id }, select: { id: true } })),
    renderKey: (row) => {
      const { id, prefix, name, created_at, revoked_at } = renderKeyRow(row);
      return { id, seller_id: idJson(row.sellerId), prefix, name, created_at, revoked_at };
    },
  });
}
