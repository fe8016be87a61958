import type { DbClient } from "@tokenmeter/db";
import { bearerToken, hashApiKey, looksLikeSellerKey } from "@tokenmeter/keys";
import type { RequestHandler, Response } from "express";
import { ApiError } from "./errors.js";

/** The seller a request was authenticated as (set by `requireSellerKey`). */
export interface SellerIdentity {
  sellerId: bigint;
  sellerKeyId: bigint;
}

/** Authenticates a seller by seller key (`Authorization: Bearer tms_…`); unknown or revoked keys get 401. */
export function requireSellerKey(db: DbClient): RequestHandler {
  return async (req, res, next) => {
    const key = bearerToken(req.get("authorization"));
    if (!key) throw new ApiError("missing_api_key", "a seller key is required (Authorization: Bearer tms_…)");
    // Only the seller-key shape is looked up, and only in seller_api_keys: a buyer key never passes here.
    const found = looksLikeSellerKey(key)
      ? await db.sellerApiKey.findUnique({
          where: { keyHash: hashApiKey(key) },
          select: { id: true, sellerId: true, revokedAt: true },
        })
      : null;
    if (!found || found.revokedAt !== null)
      throw new ApiError("invalid_api_key", "the seller key is not valid");
    const identity: SellerIdentity = { sellerId: found.sellerId, sellerKeyId: found.id };
    res.locals.seller = identity;
    next();
  };
}

/** The seller identity `requireSellerKey` stored on the response. */
export function sellerOf(res: Response): SellerIdentity {
  const identity = res.locals.seller as SellerIdentity | undefined;
  if (!identity) throw new Error("requireSellerKey must run before this handler");
  return identity;
}
