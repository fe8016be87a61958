import { randomUUID } from "node:crypto";
import { type DbClient, maintainUsagePartitions, type UsagePartitionReport } from "@tokenmeter/db";
import { Queue, Worker } from "bullmq";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { Counter, Gauge, type Registry } from "prom-client";

/** The maintenance job's own queue and its one scheduler (every worker upserts the same id). */
const PARTITION_QUEUE = "usage-partitions";
const PARTITION_SCHEDULER_ID = "maintain-usage-partitions";

/** The partition maintenance metrics, on the worker's registry. */
export function createPartitionMetrics(registry: Registry) {
  return {
    runs: new Counter({
      name: "tokenmeter_usage_partition_runs_total",
      help: "usage_logs partition maintenance runs, by result (done, skipped while another worker held the lock, failed: alert on it)",
      labelNames: ["result"] as const,
      registers: [registry],
    }),
    created: new Counter({
      name: "tokenmeter_usage_partitions_created_total",
      help: "Monthly usage_logs partitions created",
      registers: [registry],
    }),
    dropped: new Counter({
      name: "tokenmeter_usage_partitions_dropped_total",
      help: "Monthly usage_logs partitions detached and dropped by USAGE_RETENTION_MONTHS",
      registers: [registry],
    }),
    rowsMoved: new Counter({
      name: "tokenmeter_usage_default_partition_rows_moved_total",
      help: "Rows moved out of the DEFAULT partition into their month's partition",
      registers: [registry],
    }),
    rowsExpired: new Counter({
      name: "tokenmeter_usage_default_partition_rows_expired_total",
      help: "Rows past the retention deleted from the DEFAULT partition",
      registers: [registry],
    }),
    defaultRowsLeft: new Gauge({
      name: "tokenmeter_usage_default_partition_rows",
      help: "Rows the DEFAULT partition still holds after the last run (dates too far ahead): look at them",
      registers: [registry],
    }),
    monthsAhead: new Gauge({
      name: "tokenmeter_usage_partition_months_ahead",
      help: "Months after the current one that have a partition: below 1, inserts are about to fall into DEFAULT",
      registers: [registry],
    }),
  };
}

type PartitionMetrics = ReturnType<typeof createPartitionMetrics>;

export interface PartitionMaintenanceDeps {
  db: DbClient;
  redis: Redis;
  /** The queue prefix; the lock key lives under it. */
  prefix: string;
  logger: Logger;
  metrics: PartitionMetrics;
  monthsAhead: number;
  /** Whole months of raw rows kept before the current month; undefined keeps all. */
  retentionMonths?: number;
  /** How long the run's lock lasts at most (a crashed runner's lock expires). */
  lockMs: number;
  now?: () => Date;
}

const RELEASE_LOCK = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`;

/**
 * One maintenance run (see maintainUsagePartitions), exclusive across the fleet through a Redis lock: the job
 * scheduler runs one job at a time, and the lock also covers the run every worker makes when it starts.
 */
export async function runPartitionMaintenance(
  deps: PartitionMaintenanceDeps,
): Promise<"skipped" | UsagePartitionReport> {
  const lockKey = `${deps.prefix}:usage-partitions:lock`;
  const token = randomUUID();
  if ((await deps.redis.set(lockKey, token, "PX", deps.lockMs, "NX")) !== "OK") {
    deps.metrics.runs.inc({ result: "skipped" });
    return "skipped";
  }
  try {
    const now = deps.now?.() ?? new Date();
    const report = await maintainUsagePartitions(deps.db, {
      now,
      monthsAhead: deps.monthsAhead,
      retentionMonths: deps.retentionMonths,
    });
    deps.metrics.created.inc(report.created.length);
    deps.metrics.dropped.inc(report.dropped.length);
    deps.metrics.rowsMoved.inc(report.rowsMoved);
    deps.metrics.rowsExpired.inc(report.defaultRowsExpired);
    deps.metrics.defaultRowsLeft.set(report.defaultRowsLeft);
    deps.metrics.monthsAhead.set(deps.monthsAhead);
    deps.metrics.runs.inc({ result: "done" });
    if (report.created.length > 0 || report.rowsMoved > 0)
      deps.logger.info({ created: report.created, rowsMoved: report.rowsMoved }, "usage partitions created");
    if (report.dropped.length > 0 || report.defaultRowsExpired > 0)
      deps.logger.info(
        {
          dropped: report.dropped,
          defaultRowsExpired: report.defaultRowsExpired,
          retentionMonths: deps.retentionMonths,
        },
        "usage partitions past the retention dropped (rollups kept)",
      );
    if (report.reindexed.length > 0)
      deps.logger.info(
        { reindexed: report.reindexed, indexBytes: report.reindexBytes },
        "closed month reindexed",
      );
    if (report.defaultRowsLeft > 0)
      deps.logger.warn({ rows: report.defaultRowsLeft }, "usage_logs_default holds rows dated too far ahead");
    return report;
  } catch (error) {
    deps.metrics.runs.inc({ result: "failed" });
    throw error;
  } finally {
    await deps.redis.eval(RELEASE_LOCK, 1, lockKey, token).catch(() => undefined);
  }
}

/**
 * Runs the maintenance once now and then every `everyMs` on a BullMQ job scheduler (as the alert evaluator
 * does): every worker upserts the same scheduler id, so the fleet has one schedule and each run is taken by
 * exactly one worker. Its own queue, so it never delays metering.
 */
export async function startPartitionMaintenance(deps: PartitionMaintenanceDeps & { everyMs: number }) {
  const connection = deps.redis;
  const run = async () => void (await runPartitionMaintenance(deps));
  const first = run().catch((error: Error) =>
    deps.logger.error({ err: error.message }, "usage partition maintenance failed"),
  );
  const queue = new Queue(PARTITION_QUEUE, { connection, prefix: deps.prefix });
  queue.on("error", (error) => deps.logger.warn({ err: error.message }, "partition maintenance queue error"));
  await queue.upsertJobScheduler(
    PARTITION_SCHEDULER_ID,
    { every: deps.everyMs },
    { name: "maintain", opts: { removeOnComplete: 20, removeOnFail: 20 } },
  );
  const worker = new Worker(PARTITION_QUEUE, run, { connection, prefix: deps.prefix, concurrency: 1 });
  worker.on("error", (error) =>
    deps.logger.warn({ err: error.message }, "partition maintenance worker error"),
  );
  worker.on("failed", (_job, error) =>
    deps.logger.error({ err: error.message }, "usage partition maintenance failed"),
  );
  return {
    /** The run made at start (tests wait on it). */
    first,
    async close(): Promise<void> {
      await first;
      await worker.close();
      await queue.close();
    },
  };
}
