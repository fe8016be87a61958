import { randomBytes } from "node:crypto";
import { once } from "node:events";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { CAPTURE_QUEUE_NAME } from "@tokenmeter/capture";
import { createDbClient, type DbClient } from "@tokenmeter/db";
import { generateApiKey } from "@tokenmeter/keys";
import { withTimeout } from "@tokenmeter/runtime";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { inject } from "vitest";
import { parseEnv } from "../src/env.js";
import { type ControlPlane, createControlPlane } from "../src/server.js";

/** The admin token every test app is configured with. */
export const ADMIN_TOKEN = "test-admin-token-0123456789abcdef";

/** A short random string for unique names and slugs (tests share one database). */
export const unique = (): string => randomBytes(5).toString("hex");

/** A running control plane on an ephemeral port, with helpers to call it. */
export interface TestApp {
  base: string;
  db: DbClient;
  queue: Queue;
  controlPlane: ControlPlane;
  /** fetch with the admin Bearer token and a JSON body. */
  admin(method: string, path: string, body?: unknown): Promise<Response>;
  close(): Promise<void>;
}

/** Starts the app on the injected test database and Redis; overrides point either at unreachable servers. */
export async function startApp(
  overrides: { databaseUrl?: string; redisUrl?: string; env?: Record<string, string> } = {},
): Promise<TestApp> {
  const env = parseEnv({
    DATABASE_URL: overrides.databaseUrl ?? inject("databaseUrl"),
    REDIS_URL: overrides.redisUrl ?? inject("redisUrl"),
    ADMIN_TOKEN,
    SECRETS_KEY: inject("secretsKey"),
    LOG_LEVEL: "silent",
    // A queue of its own per app, so no worker elsewhere consumes what a test adds.
    QUEUE_PREFIX: `${inject("queuePrefix")}_cp_${unique()}`,
    // Small report pools: several test files run apps side by side on one PostgreSQL.
    DB_READ_POOL_MAX: "2",
    DB_HEAVY_POOL_MAX: "1",
    DB_DASHBOARD_POOL_MAX: "1",
    ...overrides.env,
  });
  const db = createDbClient({ databaseUrl: env.DATABASE_URL, poolMax: 4 });
  const redis = new Redis(env.REDIS_URL, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  redis.on("error", () => {});
  const queue = new Queue(CAPTURE_QUEUE_NAME, { connection: redis, prefix: env.QUEUE_PREFIX });
  queue.on("error", () => {});
  const controlPlane = createControlPlane({ env, db, queue });
  const server: Server = controlPlane.app.listen(0, "127.0.0.1");
  await once(server, "listening");
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    db,
    queue,
    controlPlane,
    admin: (method, path, body) =>
      fetch(`${base}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${ADMIN_TOKEN}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await controlPlane.close();
      await withTimeout(queue.obliterate({ force: true }), 1000, "obliterate").catch(() => {});
      await withTimeout(queue.close(), 1000, "queue close").catch(() => {});
      redis.disconnect();
      await db.$disconnect();
    },
  };
}

/** Inserts a buyer with one active key straight into the database. */
export async function createBuyerWithKey(db: DbClient, name = `buyer-${unique()}`) {
  const buyer = await db.buyer.create({ data: { name } });
  const fresh = generateApiKey();
  const key = await db.apiKey.create({
    data: { buyerId: buyer.id, keyHash: fresh.hash, prefix: fresh.prefix },
  });
  return { buyerId: buyer.id, keyId: key.id, key: fresh.key };
}

/** Inserts an API service straight into the database. */
export async function createService(db: DbClient, name = `service-${unique()}`) {
  return db.apiService.create({
    data: {
      name,
      slug: `t-${unique()}`,
      upstreamUrl: "http://127.0.0.1:9/v1",
      upstreamHeaders: { "x-secret": "s" },
    },
  });
}

/** A YYYY-MM-DD day `offset` days from today (UTC). */
export function dayOffset(offset: number, now = new Date()): string {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + offset))
    .toISOString()
    .slice(0, 10);
}

/** Removes everything the given buyers and services own. */
export async function cleanup(db: DbClient, buyerIds: bigint[], serviceIds: bigint[]): Promise<void> {
  const byBuyerOrService = {
    where: { OR: [{ buyerUserId: { in: buyerIds } }, { apiServiceId: { in: serviceIds } }] },
  };
  const byService = { where: { apiServiceId: { in: serviceIds } } };
  await db.usageDailyRollup.deleteMany(byBuyerOrService);
  await db.usageHourlyRollup.deleteMany(byBuyerOrService);
  await db.usageKeyHourlyRollup.deleteMany(byBuyerOrService);
  await db.usageKeyDailyRollup.deleteMany(byBuyerOrService);
  await db.usageKeyMonthlyRollup.deleteMany(byBuyerOrService);
  await db.usageServiceHourlyRollup.deleteMany(byService);
  await db.usageServiceDailyRollup.deleteMany(byService);
  await db.usageServiceMonthlyRollup.deleteMany(byService);
  await db.usageLog.deleteMany({
    where: { OR: [{ buyerUserId: { in: buyerIds } }, { apiServiceId: { in: serviceIds } }] },
  });
  await db.apiKey.deleteMany({ where: { buyerId: { in: buyerIds } } });
  await db.buyer.deleteMany({ where: { id: { in: buyerIds } } });
  await db.apiService.deleteMany({ where: { id: { in: serviceIds } } });
}

/** A response's JSON body, loosely typed for assertions. */
// biome-ignore lint/suspicious/noExplicitAny: tests assert on arbitrary JSON shapes.
export const readJson = (res: Response): Promise<any> => res.json();
