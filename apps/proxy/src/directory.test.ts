import { generateApiKey } from "@tokenmeter/keys";
import { describe, expect, it } from "vitest";
import { Directory, type DirectorySource, DirectoryUnavailableError, type KeyInfo } from "./directory.js";

const NO_LIMITS = { rateLimitPerMinute: null, maxConcurrentRequests: null };

// The cache policy alone, over an in-memory source (the database-backed source is exercised end to end).
function source(keys: Map<string, KeyInfo>) {
  const state = { calls: 0, down: false };
  const src: DirectorySource = {
    async findKey(hash) {
      state.calls += 1;
      if (state.down) throw new Error("connection refused");
      return keys.get(hash) ?? null;
    },
    async findService() {
      return null;
    },
  };
  return { src, state };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("Directory", () => {
  it("answers fresh entries from memory and refuses malformed keys without a lookup", async () => {
    const k = generateApiKey();
    const { src, state } = source(new Map([[k.hash, { keyId: 1, buyerId: 2, ...NO_LIMITS }]]));
    const dir = new Directory(src, 10_000);
    expect(dir.peekKey(k.key)).toBeUndefined();
    expect(await dir.key(k.key)).toEqual({ keyId: 1, buyerId: 2, ...NO_LIMITS });
    expect(dir.peekKey(k.key)).toEqual({ keyId: 1, buyerId: 2, ...NO_LIMITS });
    expect(dir.peekKey("sk-not-ours")).toBeNull();
    expect(state.calls).toBe(1);
  });

  it("caches unknown keys too", async () => {
    const { src, state } = source(new Map());
    const dir = new Directory(src, 10_000);
    const k = generateApiKey().key;
    expect(await dir.key(k)).toBeNull();
    expect(dir.peekKey(k)).toBeNull();
    expect(state.calls).toBe(1);
  });

  it("shares one lookup between concurrent misses", async () => {
    const k = generateApiKey();
    const { src, state } = source(new Map([[k.hash, { keyId: 1, buyerId: 2, ...NO_LIMITS }]]));
    const dir = new Directory(src, 10_000);
    await Promise.all(Array.from({ length: 20 }, () => dir.key(k.key)));
    expect(state.calls).toBe(1);
  });

  it("sees a revocation once the TTL has passed", async () => {
    const k = generateApiKey();
    const keys = new Map([[k.hash, { keyId: 1, buyerId: 2, ...NO_LIMITS }]]);
    const { src } = source(keys);
    const dir = new Directory(src, 100);
    expect(await dir.key(k.key)).not.toBeNull();
    keys.delete(k.hash);
    await sleep(120);
    expect(dir.peekKey(k.key)).toBeUndefined();
    expect(await dir.key(k.key)).toBeNull();
  });

  it("keeps serving a known key while the database is down, retrying at most once a second", async () => {
    const k = generateApiKey();
    const { src, state } = source(new Map([[k.hash, { keyId: 1, buyerId: 2, ...NO_LIMITS }]]));
    const dir = new Directory(src, 100);
    await dir.key(k.key);
    state.down = true;
    await sleep(120);
    expect(await dir.key(k.key)).toEqual({ keyId: 1, buyerId: 2, ...NO_LIMITS });
    const callsAfterFailure = state.calls;
    for (let i = 0; i < 50; i++) {
      expect(dir.peekKey(k.key)).toEqual({ keyId: 1, buyerId: 2, ...NO_LIMITS });
      expect(await dir.key(k.key)).toEqual({ keyId: 1, buyerId: 2, ...NO_LIMITS });
    }
    await sleep(10);
    expect(state.calls).toBe(callsAfterFailure);
  });

  it("refuses an unknown key with DirectoryUnavailableError while the database is down", async () => {
    const { src, state } = source(new Map());
    state.down = true;
    const dir = new Directory(src, 100);
    await expect(dir.key(generateApiKey().key)).rejects.toBeInstanceOf(DirectoryUnavailableError);
  });

  it("keeps real keys when a flood of made-up keys fills the cache", async () => {
    const real = generateApiKey();
    const { src } = source(new Map([[real.hash, { keyId: 1, buyerId: 2, ...NO_LIMITS }]]));
    const dir = new Directory(src, 60_000, 1000);
    await dir.key(real.key);
    for (let i = 0; i < 500; i++) await dir.key(generateApiKey().key);
    expect(dir.peekKey(real.key)).toEqual({ keyId: 1, buyerId: 2, ...NO_LIMITS });
  });

  it("refreshes a half-stale entry in the background without making the caller wait", async () => {
    const k = generateApiKey();
    const { src, state } = source(new Map([[k.hash, { keyId: 1, buyerId: 2, ...NO_LIMITS }]]));
    const dir = new Directory(src, 200);
    await dir.key(k.key);
    await sleep(120);
    expect(dir.peekKey(k.key)).toEqual({ keyId: 1, buyerId: 2, ...NO_LIMITS });
    await sleep(10);
    expect(state.calls).toBe(2);
    await sleep(100);
    expect(dir.peekKey(k.key)).toEqual({ keyId: 1, buyerId: 2, ...NO_LIMITS });
  });
});
