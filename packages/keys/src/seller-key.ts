import { createHash, randomInt } from "node:crypto";
import type { NewApiKey } from "./api-key.js";

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/** Every seller key starts with this; distinct from buyers' `tm_` so neither is accepted for the other. */
export const SELLER_KEY_PREFIX = "tms_";
const SELLER_KEY_PATTERN = /^tms_[0-9A-Za-z]{32}$/;
/** How many leading characters of a seller key are kept visible (e.g. "tms_AbC1"). */
export const SELLER_VISIBLE_PREFIX_LENGTH = 8;

/** Makes a new seller key: "tms_" + 32 base62 characters from a CSPRNG (≈190 bits), shown once. */
export function generateSellerKey(): NewApiKey {
  let body = "";
  for (let i = 0; i < 32; i++) body += BASE62[randomInt(62)];
  const key = SELLER_KEY_PREFIX + body;
  // Same hashing as buyer keys: SHA-256 hex is what the database stores and what lookups use.
  const hash = createHash("sha256").update(key, "utf8").digest("hex");
  return { key, hash, prefix: key.slice(0, SELLER_VISIBLE_PREFIX_LENGTH) };
}

/** Whether a string has the shape of a seller key (cheap check before any lookup). */
export function looksLikeSellerKey(value: string): boolean {
  return SELLER_KEY_PATTERN.test(value);
}
