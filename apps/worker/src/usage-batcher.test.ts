import type { UsageRow } from "@tokenmeter/db";
import { describe, expect, it } from "vitest";
import { UsageBatcher } from "./usage-batcher.js";

const row = (id: string) => ({ requestId: id }) as UsageRow;

describe("UsageBatcher", () => {
  it("writes rows from concurrent callers in one batch and settles each when it is written", async () => {
    const writes: string[][] = [];
    const batcher = new UsageBatcher(
      async (rows) => {
        writes.push(rows.map((r) => r.requestId));
        return { inserted: rows.length, duplicates: 0 };
      },
      100,
      5,
    );
    await Promise.all(["a", "b", "c"].map((id) => batcher.add(row(id))));
    expect(writes).toEqual([["a", "b", "c"]]);
  });

  it("isolates a row the database cannot store, so the rest of its batch is recorded", async () => {
    const stored: string[] = [];
    const batcher = new UsageBatcher(
      async (rows) => {
        if (rows.some((r) => r.requestId === "bad")) throw new Error("22021 invalid byte sequence");
        stored.push(...rows.map((r) => r.requestId));
        return { inserted: rows.length, duplicates: 0 };
      },
      100,
      5,
      () => {},
      (error) => String(error).includes("22021"),
    );
    const ids = ["a", "b", "c", "bad", "d", "e", "f"];
    const results = await Promise.allSettled(ids.map((id) => batcher.add(row(id))));
    expect(results.map((r) => r.status)).toEqual([
      "fulfilled",
      "fulfilled",
      "fulfilled",
      "rejected",
      "fulfilled",
      "fulfilled",
      "fulfilled",
    ]);
    expect(stored.sort()).toEqual(["a", "b", "c", "d", "e", "f"]);
  });

  it("fails the whole batch on an error that is not about a row (e.g. the database is down)", async () => {
    let calls = 0;
    const batcher = new UsageBatcher(
      async () => {
        calls += 1;
        throw new Error("connection refused");
      },
      100,
      5,
      () => {},
      () => false,
    );
    const results = await Promise.allSettled(["a", "b", "c"].map((id) => batcher.add(row(id))));
    expect(results.every((r) => r.status === "rejected")).toBe(true);
    expect(calls).toBe(1);
  });
});
