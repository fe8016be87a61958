import { describe, expect, it } from "vitest";
import { RefreshingValue } from "./refreshing-value.js";

/** A loader whose loads finish only when the test says so. */
function controlledLoader() {
  const pending: Array<{ resolve: (v: number) => void; reject: (e: Error) => void }> = [];
  let next = 0;
  return {
    load: () =>
      new Promise<number>((resolve, reject) => {
        pending.push({ resolve, reject });
      }),
    finish(value = ++next) {
      pending.shift()?.resolve(value);
    },
    fail() {
      pending.shift()?.reject(new Error("database away"));
    },
    get waiting() {
      return pending.length;
    },
  };
}

const tick = () => new Promise((r) => setImmediate(r));

describe("RefreshingValue", () => {
  it("after invalidate, fresh() waits for a load that started after the announcement", async () => {
    const loader = controlledLoader();
    const value = new RefreshingValue(loader.load, 0, 60_000, () => {});
    const started = value.start();
    loader.finish(1);
    await started;
    // A periodic-style load already running when the change is announced must not be enough.
    const early = value.reload();
    value.invalidate();
    let got: number | null = null;
    const fresh = value.fresh().then((v) => {
      got = v;
    });
    loader.finish(2); // the early load: started before the announcement
    await early;
    await tick();
    expect(got).toBeNull();
    expect(loader.waiting).toBe(1);
    loader.finish(3);
    await fresh;
    expect(got).toBe(3);
    value.stop();
  });

  it("keeps the last good value when the announced reload fails, and does not wait again", async () => {
    const loader = controlledLoader();
    const errors: unknown[] = [];
    const value = new RefreshingValue(loader.load, 0, 60_000, (e) => errors.push(e));
    const started = value.start();
    loader.finish(7);
    await started;
    value.invalidate();
    const fresh = value.fresh();
    loader.fail();
    expect(await fresh).toBe(7);
    expect(errors).toHaveLength(1);
    expect(await value.fresh()).toBe(7);
    expect(loader.waiting).toBe(0);
    value.stop();
  });

  it("shares one load between many waiters", async () => {
    const loader = controlledLoader();
    const value = new RefreshingValue(loader.load, 0, 60_000, () => {});
    const started = value.start();
    loader.finish(1);
    await started;
    value.invalidate();
    const all = Promise.all(Array.from({ length: 10 }, () => value.fresh()));
    loader.finish(5);
    expect(await all).toEqual(Array(10).fill(5));
    expect(value.loads).toBe(2);
    value.stop();
  });
});
