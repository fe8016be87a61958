import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import {
  classifyDbError,
  createDbClient,
  createPgPool,
  type DbClient,
  findBuyerKey,
  findServiceRoute,
  type PgPool,
} from "../src/index.js";

let db: DbClient;
let pool: PgPool;
const hash = () => randomBytes(32).toString("hex");

beforeAll(() => {
  db = createDbClient({ databaseUrl: inject("databaseUrl") });
  pool = createPgPool({ databaseUrl: inject("databaseUrl"), poolMax: 2 });
});
afterAll(async () => {
  await pool.end();
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
    const limited = hash();
    const other = await db.apiKey.create({
      data: { buyerId: buyer.id, keyHash: limited, prefix: "tm_z", maxConcurrentRequests: 3 },
    });
    // The proxy reads through a plain pool, the control plane through Prisma: both refuse the same keys.
    for (const via of [db, pool]) {
      expect(await findBuyerKey(via, live)).toEqual({
        id: key.id,
        buyerId: buyer.id,
        rateLimitPerMinute: 60,
        maxConcurrentRequests: null,
      });
      expect(await findBuyerKey(via, limited)).toEqual({
        id: other.id,
        buyerId: buyer.id,
        rateLimitPerMinute: null,
        maxConcurrentRequests: 3,
      });
      expect(await findBuyerKey(via, revoked)).toBeNull();
      expect(await findBuyerKey(via, hash())).toBeNull();
    }
  });
});

describe("findServiceRoute", () => {
  it("reads a service's upstream, its credentials as stored and its stream option", async () => {
    const slug = `route-${hash().slice(0, 12)}`;
    const svc = await db.apiService.create({
      data: {
        name: "route",
        slug,
        upstreamUrl: "https://api.example/v1",
        upstreamHeaders: { Authorization: "Bearer sk-1" },
        upstreamHeadersSealed: "v1.sealed",
        injectStreamUsage: true,
      },
    });
    expect(await findServiceRoute(pool, slug)).toEqual({
      id: svc.id,
      slug,
      upstreamUrl: "https://api.example/v1",
      upstreamHeaders: { Authorization: "Bearer sk-1" },
      upstreamHeadersSealed: "v1.sealed",
      injectStreamUsage: true,
    });
    expect(await findServiceRoute(pool, `${slug}-none`)).toBeNull();
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
