import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { classifyDbError, createDbClient, type DbClient, findBuyerKey } from "../src/index.js";

let db: DbClient;
const hash = () => randomBytes(32).toString("hex");

beforeAll(() => {
  db = createDbClient({ databaseUrl: inject("databaseUrl") });
});
afterAll(async () => {
  await db.$disconnect();
});

describe("findBuyerKey", () => {
  it("finds an unrevoked key with its limits, and nothing for a revoked or unknown one", async () => {
    const buyer = await db.buyer.create({ data: { name: "key lookup test" } });
    const live = hash();
    const revoked = hash();
    const key = await db.apiKey.create({
      data: { buyerId: buyer.id, keyHash: live, prefix: "tm_x", rateLimitPerMinute: 60 },
    });
    await db.apiKey.create({
      data: { buyerId: buyer.id, keyHash: revoked, prefix: "tm_y", revokedAt: new Date() },
    });
    expect(await findBuyerKey(db, live)).toEqual({
      id: key.id,
      buyerId: buyer.id,
      rateLimitPerMinute: 60,
      maxConcurrentRequests: null,
    });
    expect(await findBuyerKey(db, revoked)).toBeNull();
    expect(await findBuyerKey(db, hash())).toBeNull();
  });
});

describe("classifyDbError", () => {
  it("calls a unique violation a conflict, not retryable", async () => {
    const buyer = await db.buyer.create({ data: { name: "conflict test" } });
    const keyHash = hash();
    await db.apiKey.create({ data: { buyerId: buyer.id, keyHash, prefix: "tm_a" } });
    const error = await db.apiKey
      .create({ data: { buyerId: buyer.id, keyHash, prefix: "tm_b" } })
      .catch((e) => e);
    expect(classifyDbError(error)).toMatchObject({ code: "conflict", retryable: false });
  });

  it("calls a missing foreign row missing_reference", async () => {
    const error = await db.apiKey
      .create({ data: { buyerId: 999_999_999_999n, keyHash: hash(), prefix: "tm_c" } })
      .catch((e) => e);
    expect(classifyDbError(error)).toMatchObject({ code: "missing_reference" });
  });

  it("calls an unreachable server unavailable and a cancelled statement a timeout, both retryable", async () => {
    const nowhere = createDbClient({ databaseUrl: "postgresql://postgres@127.0.0.1:1/none" });
    const unreachable = await nowhere.buyer.count().catch((e) => e);
    await nowhere.$disconnect();
    expect(classifyDbError(unreachable)).toMatchObject({ code: "unavailable", retryable: true });
    const slow = await db
      .$transaction(async (tx) => {
        await tx.$executeRawUnsafe("SET LOCAL statement_timeout = 10");
        await tx.$queryRawUnsafe("SELECT pg_sleep(1)");
      })
      .catch((e) => e);
    expect(classifyDbError(slow)).toMatchObject({ code: "timeout", retryable: true });
  });

  it("leaves other errors unclassified", async () => {
    expect(classifyDbError(new Error("boom"))).toBeUndefined();
    const bad = await db.$queryRawUnsafe("SELECT * FROM no_such_table").catch((e) => e);
    expect(classifyDbError(bad)).toBeUndefined();
  });
});
