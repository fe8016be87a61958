import { createHash, timingSafeEqual } from "node:crypto";
import { type DbClient, findBuyerKey } from "@tokenmeter/db";
import { bearerToken, hashApiKey, looksLikeApiKey } from "@tokenmeter/keys";
import type { Request, RequestHandler, Response } from "express";
import { ApiError } from "./errors.js";

/** The buyer a request was authenticated as (set by `requireBuyerKey`). */
export interface BuyerIdentity {
  buyerId: bigint;
  apiKeyId: bigint;
}

// Comparing digests keeps the comparison constant-time even when the lengths differ.
function sameSecret(given: string, expected: string): boolean {
  const a = createHash("sha256").update(given, "utf8").digest();
  const b = createHash("sha256").update(expected, "utf8").digest();
  return timingSafeEqual(a, b);
}

const bearer = (req: Request) => bearerToken(req.get("authorization"));

function basicPassword(req: Request): string | undefined {
  const match = /^Basic[ ]+([A-Za-z0-9+/=]+)\s*$/i.exec(req.get("authorization") ?? "");
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  // Any username is accepted: the password carries the admin token.
  return colon === -1 ? undefined : decoded.slice(colon + 1);
}

/**
 * Requires the admin token as `Authorization: Bearer`. With `allowBasic` (browser pages) HTTP Basic with
 * the token as password also works, and a 401 carries `WWW-Authenticate` so the browser asks for it.
 */
export function requireAdmin(adminToken: string, options: { allowBasic?: boolean } = {}): RequestHandler {
  return (req, res, next) => {
    const token = bearer(req) ?? (options.allowBasic ? basicPassword(req) : undefined);
    if (token !== undefined && sameSecret(token, adminToken)) {
      next();
      return;
    }
    if (options.allowBasic) res.set("WWW-Authenticate", 'Basic realm="tokenmeter", charset="UTF-8"');
    next(new ApiError("unauthorized", "a valid admin token is required"));
  };
}

function presentedKey(req: Request): string | undefined {
  return bearer(req) ?? req.get("x-api-key")?.trim();
}

/** Authenticates a buyer by marketplace key (Bearer or `x-api-key`); unknown or revoked keys get 401. */
export function requireBuyerKey(db: DbClient): RequestHandler {
  return async (req, res, next) => {
    const key = presentedKey(req);
    if (!key) throw new ApiError("missing_api_key", "an API key is required (Authorization: Bearer tm_…)");
    // The shape check avoids a database lookup for obvious garbage.
    // The same lookup as the proxy's: unknown and revoked keys are refused alike.
    const found = looksLikeApiKey(key) ? await findBuyerKey(db, hashApiKey(key)) : null;
    if (!found) throw new ApiError("invalid_api_key", "the API key is not valid");
    const identity: BuyerIdentity = { buyerId: found.buyerId, apiKeyId: found.id };
    res.locals.buyer = identity;
    next();
  };
}

/** The buyer identity `requireBuyerKey` stored on the response. */
export function buyerOf(res: Response): BuyerIdentity {
  const identity = res.locals.buyer as BuyerIdentity | undefined;
  if (!identity) throw new Error("requireBuyerKey must run before this handler");
  return identity;
}
