import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { generateApiKey, hashApiKey, looksLikeApiKey } from "./api-key.js";

describe("api keys", () => {
  it("makes tm_ keys of 32 base62 characters with an 8-character visible prefix", () => {
    const k = generateApiKey();
    expect(k.key).toMatch(/^tm_[0-9A-Za-z]{32}$/);
    expect(k.prefix).toBe(k.key.slice(0, 8));
    expect(looksLikeApiKey(k.key)).toBe(true);
  });

  it("stores the SHA-256 hex of the key, never the key", () => {
    const k = generateApiKey();
    expect(k.hash).toBe(createHash("sha256").update(k.key).digest("hex"));
    expect(k.hash).not.toContain(k.key.slice(3));
    expect(hashApiKey(k.key)).toBe(k.hash);
  });

  it("makes a different key every time", () => {
    const keys = new Set(Array.from({ length: 1000 }, () => generateApiKey().key));
    expect(keys.size).toBe(1000);
  });

  it("rejects strings that are not keys", () => {
    for (const s of ["", "tm_short", "sk-abcdefabcdefabcdefabcdefabcdefab", `tm_${"a".repeat(31)}!`]) {
      expect(looksLikeApiKey(s)).toBe(false);
    }
  });
});
