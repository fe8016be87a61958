import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import {
  applyLedgerCorrections,
  createDbClient,
  type DbClient,
  deleteExpiredCaptures,
  ledgerIdRange,
  listenForConfigChanges,
  notifyConfigChange,
  readConfigVersions,
  readLedgerChunk,
  readLedgerRows,
  recordUsage,
  type UsageRow,
} from "../src/index.js";

let db: DbClient;
let buyerId: number;
const serviceId = 800_000 + Math.floor(Math.random() * 90_000);
const day = new Date("2026-02-10T10:00:00Z");

function row(overrides: Partial<UsageRow> = {}): UsageRow {
  return {
    requestId: randomUUID(),
    buyerUserId: BigInt(buyerId),
    apiKeyId: 1n,
    apiServiceId: BigInt(serviceId),
    requestTimestamp: day,
    httpMethod: "POST",
    path: "/v1/chat/completions",
    statusCode: 200,
    latencyMs: 12,
    ttfbMs: 5,
    streamed: false,
    upstreamReached: true,
    errorCode: null,
    modelName: "model-a",
    inputTokens: 100,
    outputTokens: 10,
    totalTokens: 110,
    cachedInputTokens: 0,
    cacheWriteTokens: 0,
    cacheWrite1hTokens: 0,
    reasoningTokens: 0,
    tokenCost: null,
    modelPriceId: null,
    usageSource: "reported",
    parser: "openai-chat",
    parseError: null,
    requestSizeBytes: 100,
    responseSizeBytes: 200,
    upstreamRequestId: null,
    ...overrides,
  };
}

const rollup = (modelName: string) =>
  db.usageDailyRollup.findUnique({
    where: {
      buyerUserId_apiServiceId_day_modelName: {
        buyerUserId: BigInt(buyerId),
        apiServiceId: BigInt(serviceId),
        day: new Date("2026-02-10"),
        modelName,
      },
    },
  });

beforeAll(async () => {
  db = createDbClient({ databaseUrl: inject("databaseUrl") });
  buyerId = Number((await db.buyer.create({ data: { name: "corrections-test" } })).id);
});
afterAll(async () => {
  await db.$disconnect();
});

describe("applyLedgerCorrections", () => {
  it("prices unpriced rows and moves the rollup by exactly the difference", async () => {
    const rows = [row(), row(), row({ tokenCost: "0.5", modelPriceId: 1n })];
    await recordUsage(db, rows);
    const before = await rollup("model-a");
    expect(before?.unpricedCalls).toBe(2n);
    expect(before?.tokenCost.toFixed()).toBe("0.5");

    const changed = await db.$transaction(async (tx) => {
      const stored = await readLedgerRows(
        tx,
        rows.map((r) => r.requestId),
        { forUpdate: true },
      );
      return applyLedgerCorrections(
        tx,
        stored.map((s) => ({ before: s, after: { ...s, tokenCost: "0.0000000001", modelPriceId: 7n } })),
      );
    });
    expect(changed).toBe(3);
    const after = await rollup("model-a");
    expect(after?.unpricedCalls).toBe(0n);
    expect(after?.calls).toBe(3n);
    expect(after?.tokenCost.toFixed()).toBe("0.0000000003");
    const stored = await readLedgerRows(db, [rows[0]!.requestId]);
    expect(stored[0]?.tokenCost).toBe("0.0000000001");
    expect(stored[0]?.modelPriceId).toBe(7n);
  });

  it("changes nothing when the values are equal, whatever the decimal's spelling", async () => {
    const r = row({ modelName: "model-same", tokenCost: "0.06", modelPriceId: 3n });
    await recordUsage(db, [r]);
    const [stored] = await readLedgerRows(db, [r.requestId]);
    expect(stored?.tokenCost).toBe("0.0600000000");
    const changed = await applyLedgerCorrections(db, [
      { before: stored!, after: { ...stored!, tokenCost: "0.06" } },
    ]);
    expect(changed).toBe(0);
  });

  it("moves a re-metered row to its new model's rollup and drops the emptied one", async () => {
    const r = row({ modelName: null, inputTokens: 0, outputTokens: 0, totalTokens: 0, tokenCost: "0" });
    await recordUsage(db, [r]);
    expect((await rollup(""))?.calls).toBeGreaterThanOrEqual(1n);
    const callsBefore = (await rollup(""))!.calls;
    const [stored] = await readLedgerRows(db, [r.requestId]);
    await applyLedgerCorrections(db, [
      {
        before: stored!,
        after: {
          ...stored!,
          modelName: "model-b",
          inputTokens: 7,
          outputTokens: 3,
          totalTokens: 10,
          tokenCost: null,
        },
      },
    ]);
    const moved = await rollup("model-b");
    expect(moved?.calls).toBe(1n);
    expect(moved?.totalTokens).toBe(10n);
    expect(moved?.unpricedCalls).toBe(1n);
    expect(moved?.requestBytes).toBe(100n);
    if (callsBefore === 1n) expect(await rollup("")).toBeNull();
    else expect((await rollup(""))?.calls).toBe(callsBefore - 1n);
  });

  it("walks a time window by id in chunks", async () => {
    const at = new Date("2031-01-01T00:00:00Z");
    const rows = Array.from({ length: 5 }, (_, i) =>
      row({ requestTimestamp: new Date(at.getTime() + i * 1000), modelName: "window" }),
    );
    await recordUsage(db, rows);
    const range = await ledgerIdRange(db, { from: at, to: new Date(at.getTime() + 4000) });
    expect(range).not.toBeNull();
    const seen: string[] = [];
    let afterId = range!.first - 1n;
    for (;;) {
      const chunk = await readLedgerChunk(db, {
        from: at,
        to: new Date(at.getTime() + 4000),
        afterId,
        lastId: range!.last,
        limit: 2,
      });
      if (chunk.length === 0) break;
      seen.push(...chunk.map((c) => c.requestId));
      afterId = chunk.at(-1)!.id;
    }
    // The window is half open: the row at +4 s is outside it.
    expect(seen.sort()).toEqual(
      rows
        .slice(0, 4)
        .map((r) => r.requestId)
        .sort(),
    );
  });
});

describe("retained captures", () => {
  it("deletes captures kept before the cut-off and no others", async () => {
    const old = row({ retainedCapture: Buffer.from("old") });
    const fresh = row({ retainedCapture: Buffer.from("fresh") });
    await recordUsage(db, [old, fresh]);
    await db.usageCapture.update({
      where: { requestId: old.requestId },
      data: { createdAt: new Date(Date.now() - 8 * 86_400_000) },
    });
    // One at a time, until none is left: any worker starting meanwhile may delete the old one too, so what is
    // judged is which of this test's captures are left, not how many each call deleted.
    while ((await deleteExpiredCaptures(db, new Date(Date.now() - 7 * 86_400_000), 1)) > 0);
    expect(await db.usageCapture.count({ where: { requestId: old.requestId } })).toBe(0);
    expect(await db.usageCapture.count({ where: { requestId: fresh.requestId } })).toBe(1);
  });
});

describe("configuration notifications", () => {
  it("delivers a change to a listener only when its transaction commits, with the counter it set", async () => {
    const heard: string[] = [];
    const listener = listenForConfigChanges({
      databaseUrl: inject("databaseUrl"),
      onChange: (topic, version) => heard.push(version === undefined ? topic : `${topic}:${version}`),
    });
    await listener.ready;
    expect(heard).toEqual(["all"]);
    const got = (notice: string) =>
      new Promise<void>((resolve) => {
        const check = setInterval(() => {
          if (heard.includes(notice)) {
            clearInterval(check);
            resolve();
          }
        }, 5);
      });
    let rolledBack = 0n;
    await db
      .$transaction(async (tx) => {
        rolledBack = await notifyConfigChange(tx, "rules");
        throw new Error("rolled back");
      })
      .catch(() => {});
    const prices = await db.$transaction(async (tx) => notifyConfigChange(tx, "prices"));
    expect(rolledBack).toBeGreaterThan(0n);
    expect((await readConfigVersions(db)).get("prices")).toBeGreaterThanOrEqual(prices);
    await got(`prices:${prices}`);
    // Notifications arrive in commit order on one connection: this "prices" came, so the rolled-back one never
    // will (other test files may announce their own changes meanwhile, with other counters).
    expect(heard[0]).toBe("all");
    // The rolled-back counter value is handed out again by the next rules change that commits: once another
    // file has made one, a real "rules:<that value>" may have come, and this check no longer applies.
    const rulesNow = (await readConfigVersions(db)).get("rules") ?? 0n;
    if (rulesNow < rolledBack) expect(heard).not.toContain(`rules:${rolledBack}`);
    await listener.close();
  });
});
