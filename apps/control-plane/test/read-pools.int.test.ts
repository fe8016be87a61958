import { randomBytes } from "node:crypto";
import { dropDatabase, prepareDatabase } from "@tokenmeter/db";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import {
  ADMIN_TOKEN,
  cleanup,
  createBuyerWithKey,
  createService,
  dayOffset,
  readJson,
  startApp,
  type TestApp,
} from "./helpers.js";
import { recordTotals } from "./usage-rows.js";

// A database of its own: the test locks a rollup table, which on the shared database would stall every other
// file's inserts and reports for as long as the lock is held.
const databaseUrl = (() => {
  const url = new URL(inject("databaseUrl"));
  url.pathname = `${url.pathname}_pools_${randomBytes(3).toString("hex")}`;
  return url.toString();
})();
let app: TestApp;
let buyer: Awaited<ReturnType<typeof createBuyerWithKey>>;
let service: Awaited<ReturnType<typeof createService>>;

beforeAll(async () => {
  await prepareDatabase(databaseUrl);
  app = await startApp({
    databaseUrl,
    env: { HEAVY_QUERY_TIMEOUT_MS: "300", DASHBOARD_CACHE_MS: "600000" },
  });
  buyer = await createBuyerWithKey(app.db);
  service = await createService(app.db);
  await recordTotals(
    app.db,
    { buyerId: buyer.buyerId, keyId: buyer.keyId, serviceId: service.id },
    dayOffset(0),
    "m",
    {
      calls: 3,
      totalTokens: 30,
      tokenCost: "0.3",
    },
  );
});

afterAll(async () => {
  await cleanup(app.db, [buyer.buyerId], [service.id]);
  await app.close();
  await dropDatabase(databaseUrl);
});

describe("report pools and timeouts", () => {
  it("a heavy report past its statement_timeout answers 503 query_timeout, counted, while buyers keep reading", async () => {
    // Hold a lock the all-buyer daily level needs, so the admin summary waits until its statement_timeout.
    let release = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let locked = () => {};
    const isLocked = new Promise<void>((resolve) => {
      locked = resolve;
    });
    const holder = app.db.$transaction(
      async (tx) => {
        await tx.$executeRawUnsafe("LOCK TABLE usage_service_daily_rollups IN ACCESS EXCLUSIVE MODE");
        locked();
        await released;
      },
      { timeout: 20_000 },
    );
    try {
      await isLocked;
      const slow = app.admin("GET", "/admin/usage/summary?period=daily");
      // The buyer's own summary reads another pool and another level: it answers while the admin one waits.
      const own = await fetch(`${app.base}/api/v1/usage/summary?period=daily`, {
        headers: { authorization: `Bearer ${buyer.key}` },
      });
      expect(own.status).toBe(200);
      expect((await readJson(own)).calls_made).toBe(3);
      const res = await slow;
      expect(res.status).toBe(503);
      expect(await readJson(res)).toMatchObject({ code: "query_timeout" });
    } finally {
      release();
      await holder;
    }
    const metrics = await (await fetch(`${app.base}/metrics`)).text();
    expect(metrics).toMatch(
      /tokenmeter_control_plane_query_timeouts_total\{class="heavy",kind="statement_timeout"[^}]*\} 1/,
    );
    // Once the lock is gone the same report answers.
    const again = await app.admin("GET", `/admin/usage/summary?period=daily&api_service_id=${service.id}`);
    expect(again.status).toBe(200);
    expect((await readJson(again)).calls_made).toBe(3);
  });

  it("reuses a rendered dashboard for DASHBOARD_CACHE_MS, and shows new usage without the cache", async () => {
    const page = async (target: TestApp) => {
      const res = await fetch(`${target.base}/dashboard?period=daily`, {
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      expect(res.status).toBe(200);
      return res.text();
    };
    const calls = (html: string) =>
      html.match(new RegExp(`${service.name} #${service.id}</td><td>(\\d+)`))?.[1];
    const first = await page(app);
    expect(calls(first)).toBe("3");
    await recordTotals(
      app.db,
      { buyerId: buyer.buyerId, keyId: buyer.keyId, serviceId: service.id },
      dayOffset(0),
      "m",
      {
        calls: 2,
      },
    );
    // Within the cache's life the same page comes back (the database was not read again).
    expect(await page(app)).toBe(first);
    const uncached = await startApp({ databaseUrl, env: { DASHBOARD_CACHE_MS: "0" } });
    try {
      expect(calls(await page(uncached))).toBe("5");
    } finally {
      await uncached.close();
    }
  });
});
