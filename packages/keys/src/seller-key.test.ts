import { describe, expect, it } from "vitest";
import { hashApiKey, looksLikeApiKey } from "./api-key.js";
import { generateSellerKey, looksLikeSellerKey } from "./seller-key.js";

describe("seller keys", () => {
  it("are tms_ + 32 base62 characters, stored as their SHA-256 with an 8-character prefix", () => {
    const fresh = generateSellerKey();
    expect(fresh.key).toMatch(/^tms_[0-9A-Za-z]{32}$/);
    expect(fresh.hash).toBe(hashApiKey(fresh.key));
    expect(fresh.prefix).toBe(fresh.key.slice(0, 8));
    expect(generateSellerKey().key).not.toBe(fresh.key);
  });

  it("are never mistaken for buyer keys, nor buyer keys for seller keys", () => {
    const seller = generateSellerKey().key;
    expect(looksLikeSellerKey(seller)).toBe(true);
    expect(looksLikeApiKey(seller)).toBe(false);
    expect(looksLikeSellerKey(`tm_${"a".repeat(32)}`)).toBe(false);
    expect(looksLikeSellerKey(`${seller}x`)).toBe(false);
  });
});
