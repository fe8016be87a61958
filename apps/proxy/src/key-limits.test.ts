import { describe, expect, it } from "vitest";
import { KeyLimiter } from "./key-limits.js";

const limits = (rate: number | null, concurrent: number | null) => ({
  rateLimitPerMinute: rate,
  maxConcurrentRequests: concurrent,
});

describe("KeyLimiter", () => {
  it("lets a minute's allowance through at once, then refuses with the time until the next token", () => {
    const l = new KeyLimiter(null, "t");
    const t0 = 1_000_000;
    for (let i = 0; i < 60; i++) expect(l.acquire(1, limits(60, null), t0).ok).toBe(true);
    expect(l.acquire(1, limits(60, null), t0)).toEqual({ ok: false, reason: "rate", retryAfterSeconds: 1 });
    // One token per second comes back.
    expect(l.acquire(1, limits(60, null), t0 + 1000).ok).toBe(true);
    expect(l.acquire(1, limits(60, null), t0 + 1000).ok).toBe(false);
    // Another key is not affected.
    expect(l.acquire(2, limits(60, null), t0).ok).toBe(true);
  });

  it("says how long to wait when tokens come slowly", () => {
    const l = new KeyLimiter(null, "t");
    expect(l.acquire(1, limits(2, null), 0).ok).toBe(true);
    expect(l.acquire(1, limits(2, null), 0).ok).toBe(true);
    expect(l.acquire(1, limits(2, null), 0)).toEqual({ ok: false, reason: "rate", retryAfterSeconds: 30 });
  });

  it("caps calls in flight and frees a slot on release", () => {
    const l = new KeyLimiter(null, "t");
    expect(l.acquire(1, limits(null, 2)).ok).toBe(true);
    expect(l.acquire(1, limits(null, 2)).ok).toBe(true);
    expect(l.acquire(1, limits(null, 2))).toMatchObject({ ok: false, reason: "concurrency" });
    l.release(1);
    expect(l.acquire(1, limits(null, 2)).ok).toBe(true);
  });

  it("does not count a refused call against the allowance", () => {
    const l = new KeyLimiter(null, "t");
    expect(l.acquire(1, limits(5, 1), 0).ok).toBe(true);
    for (let i = 0; i < 10; i++) expect(l.acquire(1, limits(5, 1), 0).ok).toBe(false);
    l.release(1);
    for (let i = 0; i < 4; i++) expect(l.acquire(1, limits(5, null), 0).ok).toBe(true);
  });
});
