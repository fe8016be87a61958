import { afterEach, describe, expect, it, vi } from "vitest";
import { DeadlineWheel, type Expiring } from "./deadline-wheel.js";

afterEach(() => {
  vi.useRealTimers();
});

describe("DeadlineWheel", () => {
  it("turns at a tenth of the shortest timeout, between 10 ms and 1 s", () => {
    expect(new DeadlineWheel(200).resolutionMs).toBe(20);
    expect(new DeadlineWheel(30).resolutionMs).toBe(10);
    expect(new DeadlineWheel(300_000).resolutionMs).toBe(1000);
  });

  it("tells every live item the time on each turn, and stops telling those deleted", () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const wheel = new DeadlineWheel(1000);
    const seen: number[][] = [[], []];
    const items: Expiring[] = seen.map((log) => ({ expire: (now: number) => log.push(now) }));
    for (const item of items) wheel.add(item);
    vi.advanceTimersByTime(100);
    expect(seen).toEqual([[1_000_100], [1_000_100]]);
    wheel.delete(items[0] as Expiring);
    vi.advanceTimersByTime(100);
    expect(seen).toEqual([[1_000_100], [1_000_100, 1_000_200]]);
    expect(wheel.size).toBe(1);
    wheel.stop();
    vi.advanceTimersByTime(1000);
    expect(seen[1]).toHaveLength(2);
  });
});
