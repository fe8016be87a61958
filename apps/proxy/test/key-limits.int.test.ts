import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, describe, expect, inject, it } from "vitest";
import { KeyLimiter } from "../src/key-limits.js";

const redis = new Redis(inject("redisUrl"), { maxRetriesPerRequest: 1 });
afterAll(() => redis.disconnect());

describe("KeyLimiter across proxies", () => {
  it("refuses a key everywhere once all proxies together used its minute", async () => {
    await new Promise<void>((resolve) =>
      redis.status === "ready" ? resolve() : redis.once("ready", resolve),
    );
    const prefix = `${inject("queuePrefix")}:${randomUUID().slice(0, 8)}`;
    const a = new KeyLimiter(redis, prefix);
    const b = new KeyLimiter(redis, prefix);
    const limits = { rateLimitPerMinute: 100, maxConcurrentRequests: null };
    // Mid-minute, so both syncs land in the same minute window.
    const now = Math.floor(Date.now() / 60_000) * 60_000 + 10_000;
    for (let i = 0; i < 60; i++) expect(a.acquire(7, limits, now).ok).toBe(true);
    await a.sync(now);
    for (let i = 0; i < 40; i++) expect(b.acquire(7, limits, now).ok).toBe(true);
    await b.sync(now);
    // B alone would still have 60 left; the shared total says the minute is used up.
    const refused = b.acquire(7, limits, now);
    expect(refused).toMatchObject({ ok: false, reason: "rate" });
    expect(refused.ok === false && refused.retryAfterSeconds).toBe(50);
    await a.sync(now + 1);
    a.acquire(7, limits, now + 1); // nothing new to sync for a until it takes a call
    await a.sync(now + 2);
    expect(a.acquire(7, limits, now + 3)).toMatchObject({ ok: false, reason: "rate" });
    // Next minute: allowed again.
    expect(b.acquire(7, limits, now + 60_000).ok).toBe(true);
  });
});
