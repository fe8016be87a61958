import { generateApiKey } from "@tokenmeter/keys";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Directory, type DirectorySource, DirectoryUnavailableError, type KeyInfo } from "./directory.js";

const NO_LIMITS = { rateLimitPerMinute: null, maxConcurrentRequests: null };
const INFO: KeyInfo = { keyId: 1, buyerId: 2, ...NO_LIMITS };

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

// TTLs are driven by fake timers: exact, and no test waits for real time to pass.
beforeEach(() => {
  vi.useFakeTimers();
  // lru-cache reads a start time of 0 as "no TTL"; the faked performance.now() starts at 0.
  vi.advanceTimersByTime(1000);
});
afterEach(() => {
  vi.useRealTimers();
});

describe("Directory", () => {
  it("answers fresh entries from memory and refuses malformed keys without a lookup", async () => {
    const k = generateApiKey();
    const { src, state } = source(new Map([[k.hash, INFO]]));
    const dir = new Directory(src, 10_000);
    expect(dir.peekKey(k.key)).toBeUndefined();
    expect(await dir.key(k.key)).toEqual(INFO);
    expect(dir.peekKey(k.key)).toEqual(INFO);
    expect(dir.peekKey("sk-not-ours")).toBeNull();
    expect(state.calls).toBe(1);
  });

  it("caches unknown keys too", async () => {
    const { src, state } = source(new Map());
    const dir = new Directory(src, 10_000);
    const k = generateApiKey().key;
    expect(await dir.key(k)).toBeNull();
    expect(dir.peekKey(k)).toBeNull();
    expect(await dir.key(k)).toBeNull();
    expect(state.calls).toBe(1);
  });

  it("shares one lookup between concurrent misses", async () => {
    const k = generateApiKey();
    const { src, state } = source(new Map([[k.hash, INFO]]));
    const dir = new Directory(src, 10_000);
    const answers = await Promise.all(Array.from({ length: 20 }, () => dir.key(k.key)));
    expect(answers.every((a) => a?.keyId === 1)).toBe(true);
    expect(state.calls).toBe(1);
  });

  it("sees a revocation once the TTL has passed, not before", async () => {
    const k = generateApiKey();
    const keys = new Map([[k.hash, INFO]]);
    const { src } = source(keys);
    const dir = new Directory(src, 100);
    expect(await dir.key(k.key)).not.toBeNull();
    keys.delete(k.hash);
    await vi.advanceTimersByTimeAsync(40);
    expect(await dir.key(k.key)).toEqual(INFO);
    await vi.advanceTimersByTimeAsync(61);
    expect(dir.peekKey(k.key)).toBeUndefined();
    expect(await dir.key(k.key)).toBeNull();
    expect(dir.peekKey(k.key)).toBeNull();
  });

  it("keeps serving a known key while the database is down, retrying at most once a second", async () => {
    const k = generateApiKey();
    const { src, state } = source(new Map([[k.hash, INFO]]));
    const dir = new Directory(src, 100);
    await dir.key(k.key);
    state.down = true;
    await vi.advanceTimersByTimeAsync(101);
    expect(await dir.key(k.key)).toEqual(INFO);
    const callsAfterFailure = state.calls;
    for (let i = 0; i < 50; i++) {
      expect(dir.peekKey(k.key)).toEqual(INFO);
      expect(await dir.key(k.key)).toEqual(INFO);
    }
    await vi.advanceTimersByTimeAsync(999);
    expect(await dir.key(k.key)).toEqual(INFO);
    expect(state.calls).toBe(callsAfterFailure);
    await vi.advanceTimersByTimeAsync(2);
    expect(await dir.key(k.key)).toEqual(INFO);
    expect(state.calls).toBe(callsAfterFailure + 1);
  });

  it("refuses an unknown key with DirectoryUnavailableError while the database is down", async () => {
    const { src, state } = source(new Map());
    state.down = true;
    const dir = new Directory(src, 100);
    const error = await dir.key(generateApiKey().key).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DirectoryUnavailableError);
    expect(error).toMatchObject({ code: "unavailable", retryable: true });
  });

  it("answers every caller of a shared lookup that fails with DirectoryUnavailableError, never with null", async () => {
    const { src, state } = source(new Map());
    state.down = true;
    const dir = new Directory(src, 100);
    const k = generateApiKey().key;
    const answers = await Promise.all(Array.from({ length: 5 }, () => dir.key(k).catch((e: unknown) => e)));
    expect(state.calls).toBe(1);
    for (const answer of answers) expect(answer).toBeInstanceOf(DirectoryUnavailableError);
  });

  it("gives up on a lookup PostgreSQL does not answer within 2 s, or the time it is given", async () => {
    const hanging = { findKey: () => new Promise<null>(() => {}), findService: async () => null };
    const pending = new Directory(hanging, 10_000).key(generateApiKey().key).catch((e: unknown) => e);
    const patient = new Directory(hanging, 10_000, 100, 5000)
      .key(generateApiKey().key)
      .catch((e: unknown) => e);
    let patientDone = false;
    void patient.then(() => {
      patientDone = true;
    });
    await vi.advanceTimersByTimeAsync(2000);
    expect(await pending).toBeInstanceOf(DirectoryUnavailableError);
    expect(patientDone).toBe(false);
    await vi.advanceTimersByTimeAsync(3000);
    expect(await patient).toBeInstanceOf(DirectoryUnavailableError);
  });

  it("keeps real keys when a flood of made-up keys overflows the cache", async () => {
    const real = generateApiKey();
    const { src } = source(new Map([[real.hash, INFO]]));
    const dir = new Directory(src, 60_000, 100);
    await dir.key(real.key);
    // Three times the whole cache, one after the other and then all at once (lookups in flight hold room too).
    for (let i = 0; i < 150; i++) expect(await dir.key(generateApiKey().key)).toBeNull();
    await Promise.all(Array.from({ length: 150 }, () => dir.key(generateApiKey().key)));
    expect(dir.peekKey(real.key)).toEqual(INFO);
  });

  it("holds at most maxEntries keys: the least recently used go first", async () => {
    const keys = Array.from({ length: 150 }, () => generateApiKey());
    const { src } = source(new Map(keys.map((k) => [k.hash, INFO])));
    const dir = new Directory(src, 60_000, 100);
    for (const k of keys) expect(await dir.key(k.key)).toEqual(INFO);
    expect(keys.filter((k) => dir.peekKey(k.key) !== undefined)).toHaveLength(100);
    expect(dir.peekKey(keys[0]!.key)).toBeUndefined();
    expect(dir.peekKey(keys[149]!.key)).toEqual(INFO);
  });

  it("refreshes a half-stale entry in the background without making the caller wait", async () => {
    const k = generateApiKey();
    const { src, state } = source(new Map([[k.hash, INFO]]));
    const dir = new Directory(src, 200);
    await dir.key(k.key);
    await vi.advanceTimersByTimeAsync(99);
    expect(dir.peekKey(k.key)).toEqual(INFO);
    expect(state.calls).toBe(1);
    await vi.advanceTimersByTimeAsync(2);
    expect(dir.peekKey(k.key)).toEqual(INFO);
    await vi.advanceTimersByTimeAsync(0);
    expect(state.calls).toBe(2);
    // The refresh restarted the TTL: still fresh past the first entry's expiry.
    await vi.advanceTimersByTimeAsync(120);
    expect(dir.peekKey(k.key)).toEqual(INFO);
  });
});
