import type { Redis } from "ioredis";

/** A key's limits: calls per minute (shared by every proxy) and calls in flight (per proxy process). */
export interface KeyLimits {
  rateLimitPerMinute: number | null;
  maxConcurrentRequests: number | null;
}

/** Whether a call may go ahead; when not, why and when to retry. */
export type LimitVerdict =
  | { ok: true }
  | { ok: false; reason: "rate" | "concurrency"; retryAfterSeconds: number };

interface Bucket {
  /** The key's calls per minute, as last seen. */
  limit: number;
  tokens: number;
  updatedAt: number;
  /** Calls taken here since the last sync with the other proxies. */
  unsynced: number;
  /** Set when all proxies together used the minute's allowance: refused until then. */
  blockedUntil: number;
}

const MINUTE_MS = 60_000;

/**
 * Per-key limits, decided in memory so a call never waits on Redis: a token bucket per key (the minute's
 * allowance as burst, refilled continuously) and a count of calls in flight. In the background, each proxy adds
 * what it let through to a per-key, per-minute counter in Redis and reads the total back; when the total reaches
 * the limit, the key is refused everywhere until the minute ends. The shared limit can therefore be passed by
 * at most one sync interval's worth of calls per proxy. Redis being away only turns the limit local.
 */
export class KeyLimiter {
  private readonly buckets = new Map<number, Bucket>();
  private readonly inFlight = new Map<number, number>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly redis: Redis | null,
    private readonly keyPrefix: string,
    private readonly syncMs = 1000,
  ) {}

  /** Takes a slot for one call of `keyId`, or says why not. Call `release` when an accepted call ends. */
  acquire(keyId: number, limits: KeyLimits, now = Date.now()): LimitVerdict {
    const rate = limits.rateLimitPerMinute;
    if (rate !== null) {
      let b = this.buckets.get(keyId);
      if (!b) {
        b = { limit: rate, tokens: rate, updatedAt: now, unsynced: 0, blockedUntil: 0 };
        this.buckets.set(keyId, b);
      }
      b.limit = rate;
      if (b.blockedUntil > now) return refuse("rate", b.blockedUntil - now);
      b.tokens = Math.min(rate, b.tokens + ((now - b.updatedAt) * rate) / MINUTE_MS);
      b.updatedAt = now;
      if (b.tokens < 1) return refuse("rate", ((1 - b.tokens) * MINUTE_MS) / rate);
    }
    const max = limits.maxConcurrentRequests;
    const running = this.inFlight.get(keyId) ?? 0;
    if (max !== null && running >= max) return refuse("concurrency", 1000);
    if (rate !== null) {
      const b = this.buckets.get(keyId) as Bucket;
      b.tokens -= 1;
      b.unsynced += 1;
    }
    this.inFlight.set(keyId, running + 1);
    return { ok: true };
  }

  /** Gives back the in-flight slot of an accepted call. */
  release(keyId: number): void {
    const running = (this.inFlight.get(keyId) ?? 1) - 1;
    if (running <= 0) this.inFlight.delete(keyId);
    else this.inFlight.set(keyId, running);
  }

  /** Starts the background sync with the other proxies (no-op without Redis). */
  start(): void {
    if (!this.redis || this.timer) return;
    this.timer = setInterval(() => void this.sync().catch(() => undefined), this.syncMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Adds this proxy's counts to the shared per-minute counters and applies the totals. */
  async sync(now = Date.now()): Promise<void> {
    if (!this.redis || this.redis.status !== "ready") return;
    const minute = Math.floor(now / MINUTE_MS);
    const pending = [...this.buckets].filter(([, b]) => b.unsynced > 0);
    // Idle keys' buckets are full again after a minute: forget them, so memory follows the active keys.
    for (const [keyId, b] of this.buckets)
      if (b.unsynced === 0 && now - b.updatedAt > MINUTE_MS) this.buckets.delete(keyId);
    if (pending.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const [keyId, b] of pending) {
      const key = `${this.keyPrefix}:rl:${keyId}:${minute}`;
      pipeline.incrby(key, b.unsynced);
      pipeline.pexpire(key, 2 * MINUTE_MS);
      b.unsynced = 0;
    }
    const results = (await pipeline.exec()) ?? [];
    pending.forEach(([, b], i) => {
      const total = Number(results[i * 2]?.[1] ?? 0);
      b.blockedUntil = total >= b.limit ? (minute + 1) * MINUTE_MS : 0;
    });
  }
}

function refuse(reason: "rate" | "concurrency", retryAfterMs: number): LimitVerdict {
  return { ok: false, reason, retryAfterSeconds: Math.max(1, Math.ceil(retryAfterMs / 1000)) };
}
