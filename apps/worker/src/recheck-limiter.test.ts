import { describe, expect, it, vi } from "vitest";
import { RecheckLimiter } from "./recheck-limiter.js";

describe("RecheckLimiter", () => {
  it("re-reads once per key per interval; callers during the re-read wait for it", async () => {
    const limiter = new RecheckLimiter(60_000);
    let reads = 0;
    let release: () => void = () => {};
    const reread = () =>
      new Promise<void>((resolve) => {
        reads += 1;
        release = resolve;
      });
    const first = limiter.recheck("model:x", reread);
    const second = limiter.recheck("model:x", reread);
    release();
    expect(await Promise.all([first, second])).toEqual([true, true]);
    expect(await limiter.recheck("model:x", reread)).toBe(false);
    expect(reads).toBe(1);
    const other = limiter.recheck("model:y", reread);
    release();
    expect(await other).toBe(true);
    expect(reads).toBe(2);
  });

  it("re-reads again once the interval has passed, not before", async () => {
    vi.useFakeTimers();
    try {
      const limiter = new RecheckLimiter(1000);
      let reads = 0;
      const reread = async () => {
        reads += 1;
      };
      await limiter.recheck("k", reread);
      vi.advanceTimersByTime(999);
      expect(await limiter.recheck("k", reread)).toBe(false);
      vi.advanceTimersByTime(1);
      expect(await limiter.recheck("k", reread)).toBe(true);
      expect(reads).toBe(2);
    } finally {
      vi.useRealTimers();
    }
  });
});
