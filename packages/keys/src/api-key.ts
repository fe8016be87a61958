import { createHash, randomInt, timingSafeEqual } from "node:crypto";

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/** Every marketplace key starts with this. */
export const API_KEY_PREFIX = "tm_";
const KEY_PATTERN = /^tm_[0-9A-Za-z]{32}$/;
/** How many leading characters of a key are kept visible (e.g. "tm_AbC12"). */
export const VISIBLE_PREFIX_LENGTH = 8;

/** A freshly made key: the secret (shown once), its SHA-256 hex and its visible prefix. */
export interface NewApiKey {
  key: string;
  hash: string;
  prefix: string;
}

/** Makes a new buyer key: "tm_" + 32 base62 characters from a CSPRNG (≈190 bits). */
export function generateApiKey(): NewApiKey {
  let body = "";
  for (let i = 0; i < 32; i++) body += BASE62[randomInt(62)];
  const key = API_KEY_PREFIX + body;
  return { key, hash: hashApiKey(key), prefix: key.slice(0, VISIBLE_PREFIX_LENGTH) };
}

/** SHA-256 hex of a key: what the database stores and what lookups use. */
export function hashApiKey(key: string): string {
  return createHash("sha256").update(key, "utf8").digest("hex");
}

/** Whether a string has the shape of a marketplace key (cheap check before any lookup). */
export function looksLikeApiKey(value: string): boolean {
  return KEY_PATTERN.test(value);
}

/** Constant-time comparison of two hex hashes. */
export function hashesEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, "hex");
  const y = Buffer.from(b, "hex");
  return x.length === y.length && timingSafeEqual(x, y);
}
