import { randomBytes, randomUUID } from "node:crypto";
import {
  createDbClient,
  type DbClient,
  dropDatabase,
  listUsagePartitions,
  prepareDatabase,
  recordUsage,
} from "@tokenmeter/db";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { pino } from "pino";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import {
  createPartitionMetrics,
  type PartitionMaintenanceDeps,
  runPartitionMaintenance,
  startPartitionMaintenance,
} from "../src/partition-maintenance.js";

// Maintenance creates and drops partitions of usage_logs: a database of its own, never the shared one.
const databaseUrl = (() => {
  const url = new URL(inject("databaseUrl"));
  url.pathname = `${url.pathname}_wparts_${randomBytes(3).toString("hex")}`;
  return url.toString();
})();
const prefix = `${inject("queuePrefix")}_parts_${randomBytes(3).toString("hex")}`;
let db: DbClient;
let redis: Redis;
let registry: Registry;
let deps: PartitionMaintenanceDeps;

const names = async () => (await listUsagePartitions(db)).map((p) => p.name);
const metric = async (name: string) =>
  (await registry.getSingleMetric(name)?.get())?.values.map((v) => [v.labels.result ?? "", v.value]);

beforeAll(async () => {
  await prepareDatabase(databaseUrl);
  db = createDbClient({ databaseUrl });
  redis = new Redis(inject("redisUrl"), { maxRetriesPerRequest: null });
  registry = new Registry();
  deps = {
    db,
    redis,
    prefix,
    logger: pino({ level: "silent" }),
    metrics: createPartitionMetrics(registry),
    monthsAhead: 3,
    lockMs: 60_000,
    now: () => new Date("2032-01-20T10:00:00Z"),
  };
}, 120_000);
afterAll(async () => {
  await db?.$disconnect();
  await redis?.quit();
  await dropDatabase(databaseUrl);
});

describe("usage partition maintenance in the worker", () => {
  it("creates the coming months when a worker starts, then runs on the fleet's one schedule", async () => {
    const started = await startPartitionMaintenance({ ...deps, everyMs: 3_600_000 });
    await started.first;
    await started.close();
    expect(await names()).toEqual(
      expect.arrayContaining([
        "usage_logs_p203201",
        "usage_logs_p203202",
        "usage_logs_p203203",
        "usage_logs_p203204",
      ]),
    );
    expect(await names()).not.toContain("usage_logs_p203205");
    expect(await metric("tokenmeter_usage_partitions_created_total")).toEqual([["", 4]]);
    const queue = new Queue("usage-partitions", { connection: redis, prefix });
    expect((await queue.getJobSchedulers()).map((s) => s.key)).toEqual(["maintain-usage-partitions"]);
    await queue.close();
  });

  it("lets one runner at a time work: a second run while the first holds the lock is skipped", async () => {
    const [a, b] = await Promise.all([runPartitionMaintenance(deps), runPartitionMaintenance(deps)]);
    expect([a, b].filter((r) => r === "skipped")).toHaveLength(1);
  });

  it("drops the months past USAGE_RETENTION_MONTHS, counts them, and keeps the rollups", async () => {
    await recordUsage(db, [
      {
        requestId: randomUUID(),
        buyerUserId: 5n,
        apiKeyId: 1n,
        apiServiceId: 1n,
        requestTimestamp: new Date("2031-10-05T00:00:00Z"),
        httpMethod: "POST",
        path: "/",
        statusCode: 200,
        latencyMs: 1,
        ttfbMs: null,
        streamed: false,
        upstreamReached: true,
        errorCode: null,
        modelName: "m",
        inputTokens: 1,
        outputTokens: 1,
        totalTokens: 2,
        cachedInputTokens: 0,
        cacheWriteTokens: 0,
        cacheWrite1hTokens: 0,
        reasoningTokens: 0,
        tokenCost: "0.5",
        modelPriceId: null,
        usageSource: "reported",
        parser: null,
        parseError: null,
        requestSizeBytes: 0,
        responseSizeBytes: 0,
        upstreamRequestId: null,
      },
    ]);
    await runPartitionMaintenance(deps);
    expect(await names()).toContain("usage_logs_p203110");
    const report = await runPartitionMaintenance({ ...deps, retentionMonths: 2 });
    expect(report === "skipped" ? [] : report.dropped).toEqual([
      "usage_logs_p202611",
      "usage_logs_p202612",
      "usage_logs_p202701",
      "usage_logs_p202702",
      "usage_logs_p202703",
      "usage_logs_p203110",
    ]);
    expect(await metric("tokenmeter_usage_partitions_dropped_total")).toEqual([["", 6]]);
    expect(await db.usageLog.count({ where: { buyerUserId: 5 } })).toBe(0);
    const rollup = await db.usageDailyRollup.findMany({ where: { buyerUserId: 5 } });
    expect(rollup.map((r) => r.tokenCost.toString())).toEqual(["0.5"]);
    expect(await names()).toEqual(
      expect.arrayContaining([
        "usage_logs_p203201",
        "usage_logs_p203202",
        "usage_logs_p203203",
        "usage_logs_p203204",
      ]),
    );
  });
});
