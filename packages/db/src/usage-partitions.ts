import type { PrismaClient } from "./generated/prisma/client.js";

/**
 * Monthly partitions of `usage_logs` (RANGE on request_timestamp, UTC months), named `usage_logs_pYYYYMM`, and the
 * DEFAULT partition `usage_logs_default` that catches a row no month partition holds, so an insert never fails
 * for lack of a partition. One maintenance run (the worker schedules it, one runner at a time):
 *
 * 1. creates the partitions of the current month and the next `monthsAhead`, and of every month that has rows
 *    in DEFAULT (moving those rows into it, in the same transaction);
 * 2. with a retention, detaches and drops the partitions of months before the cutoff, and deletes the expired
 *    rows DEFAULT may hold (the rollups are never touched: reads of those months stay exact);
 * 3. rebuilds the indexes of the last closed month once (REINDEX CONCURRENTLY): a month's indexes grow by page
 *    splits while it is written, and are read-only once it is closed.
 */

export const USAGE_DEFAULT_PARTITION = "usage_logs_default";
const MONTH_NAME = /^usage_logs_p(\d{4})(\d{2})$/;
// Marks a closed month whose indexes were rebuilt (a comment survives restarts and needs no table of its own).
const REINDEXED = "tokenmeter: indexes rebuilt after the month closed";
// Rows DEFAULT holds for months further ahead than this stay there (a clock gone wrong must not make partitions
// for years that will never come); they are counted and logged.
const FURTHEST_MONTHS_AHEAD = 24;

type Db = Pick<PrismaClient, "$queryRawUnsafe" | "$executeRawUnsafe" | "$transaction">;

/** The first instant of the UTC month of `at`, moved by `months`. */
export function monthStart(at: Date, months = 0): Date {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + months, 1));
}

/** The partition name of the month starting at `month` (UTC). */
export function partitionName(month: Date): string {
  return `usage_logs_p${month.getUTCFullYear()}${String(month.getUTCMonth() + 1).padStart(2, "0")}`;
}

/** The month partitions of `usage_logs` (named by the convention above), oldest first. */
export async function listUsagePartitions(db: Db): Promise<{ name: string; month: Date }[]> {
  const rows = await db.$queryRawUnsafe<{ name: string }[]>(
    `SELECT c.relname::text AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = 'usage_logs'::regclass`,
  );
  return rows
    .map((r) => ({ name: r.name, m: MONTH_NAME.exec(r.name) }))
    .filter((r) => r.m !== null)
    .map((r) => ({ name: r.name, month: new Date(Date.UTC(Number(r.m?.[1]), Number(r.m?.[2]) - 1, 1)) }))
    .sort((a, b) => a.month.getTime() - b.month.getTime());
}

/**
 * Creates the partition of the month starting at `month` unless it exists, moving the rows DEFAULT holds for
 * that month into it. One transaction: DEFAULT is locked first (inserts routed there wait a moment), the new
 * table is filled, checked and attached (ATTACH takes a lighter lock on `usage_logs` than CREATE … PARTITION OF,
 * so inserts into the other months go on). Returns the rows moved, or null when the partition already existed.
 */
export async function createUsagePartition(
  db: Db,
  month: Date,
  options: { lockTimeoutMs?: number } = {},
): Promise<number | null> {
  const name = partitionName(month);
  const from = month.toISOString();
  const to = monthStart(month, 1).toISOString();
  return db.$transaction(
    async (tx) => {
      await tx.$executeRawUnsafe(`SET LOCAL lock_timeout = ${Math.trunc(options.lockTimeoutMs ?? 10_000)}`);
      await tx.$executeRawUnsafe(`LOCK TABLE "${USAGE_DEFAULT_PARTITION}" IN ACCESS EXCLUSIVE MODE`);
      const exists = await tx.$queryRawUnsafe<unknown[]>(
        "SELECT 1 FROM pg_class WHERE relname = $1 AND relnamespace = current_schema()::regnamespace",
        name,
      );
      if (exists.length > 0) return null;
      await tx.$executeRawUnsafe(`CREATE TABLE "${name}" (LIKE usage_logs INCLUDING DEFAULTS)`);
      const moved = await tx.$executeRawUnsafe(
        `WITH moved AS (
           DELETE FROM "${USAGE_DEFAULT_PARTITION}" WHERE request_timestamp >= $1::timestamptz
             AND request_timestamp < $2::timestamptz RETURNING *)
         INSERT INTO "${name}" SELECT * FROM moved`,
        from,
        to,
      );
      // With this constraint in place ATTACH does not scan the new table to prove its rows fit the range.
      await tx.$executeRawUnsafe(
        `ALTER TABLE "${name}" ADD CONSTRAINT "${name}_range"
         CHECK (request_timestamp >= '${from}' AND request_timestamp < '${to}')`,
      );
      await tx.$executeRawUnsafe(
        `ALTER TABLE usage_logs ATTACH PARTITION "${name}" FOR VALUES FROM ('${from}') TO ('${to}')`,
      );
      await tx.$executeRawUnsafe(`ALTER TABLE "${name}" DROP CONSTRAINT "${name}_range"`);
      return moved;
    },
    { maxWait: 10_000, timeout: 30 * 60_000 },
  );
}

/** What one maintenance run did. */
export interface UsagePartitionReport {
  created: string[];
  /** Rows moved out of DEFAULT into the partitions created. */
  rowsMoved: number;
  dropped: string[];
  /** Expired rows deleted from DEFAULT. */
  defaultRowsExpired: number;
  /** Rows left in DEFAULT: months too far ahead to get a partition. */
  defaultRowsLeft: number;
  reindexed: string[];
  /** Index bytes of the reindexed partitions before and after. */
  reindexBytes: { before: number; after: number };
}

export interface UsagePartitionOptions {
  now?: Date;
  /** Months after the current one whose partitions exist ahead of time. */
  monthsAhead: number;
  /** Whole months kept before the current one; older partitions are dropped. Undefined keeps everything. */
  retentionMonths?: number;
  /** Rebuild the indexes of the last closed month once (default true). */
  reindexClosedMonth?: boolean;
  lockTimeoutMs?: number;
}

/** The first month whose rows are kept under a retention of `retentionMonths` whole months. */
export function retentionCutoff(now: Date, retentionMonths: number): Date {
  return monthStart(now, -retentionMonths);
}

/** One maintenance run: partitions ahead, DEFAULT emptied into its months, retention, one reindex. */
export async function maintainUsagePartitions(
  db: Db,
  options: UsagePartitionOptions,
): Promise<UsagePartitionReport> {
  const now = options.now ?? new Date();
  const lock = { lockTimeoutMs: options.lockTimeoutMs };
  const cutoff = options.retentionMonths === undefined ? null : retentionCutoff(now, options.retentionMonths);
  const report: UsagePartitionReport = {
    created: [],
    rowsMoved: 0,
    dropped: [],
    defaultRowsExpired: 0,
    defaultRowsLeft: 0,
    reindexed: [],
    reindexBytes: { before: 0, after: 0 },
  };

  if (cutoff) {
    report.defaultRowsExpired = await db.$executeRawUnsafe(
      `DELETE FROM "${USAGE_DEFAULT_PARTITION}" WHERE request_timestamp < $1::timestamptz`,
      cutoff.toISOString(),
    );
  }
  const furthest = monthStart(now, FURTHEST_MONTHS_AHEAD);
  const inDefault = await db.$queryRawUnsafe<{ month: Date; rows: bigint }[]>(
    `SELECT date_trunc('month', request_timestamp, 'UTC') AS month, count(*) AS rows
     FROM "${USAGE_DEFAULT_PARTITION}" GROUP BY 1`,
  );
  const wanted = new Map<number, Date>();
  for (let k = 0; k <= options.monthsAhead; k++) wanted.set(monthStart(now, k).getTime(), monthStart(now, k));
  for (const { month, rows } of inDefault) {
    if (month.getTime() > furthest.getTime()) report.defaultRowsLeft += Number(rows);
    else wanted.set(month.getTime(), month);
  }
  const existing = new Set((await listUsagePartitions(db)).map((p) => p.name));
  for (const month of [...wanted.values()].sort((a, b) => a.getTime() - b.getTime())) {
    if (existing.has(partitionName(month))) continue;
    const moved = await createUsagePartition(db, month, lock);
    if (moved === null) continue;
    report.created.push(partitionName(month));
    report.rowsMoved += moved;
  }

  if (cutoff) {
    for (const p of await listUsagePartitions(db)) {
      if (p.month.getTime() >= cutoff.getTime()) continue;
      // Not CONCURRENTLY: PostgreSQL refuses it on a table with a DEFAULT partition. The plain detach holds
      // ACCESS EXCLUSIVE on usage_logs for an instant, and gives up after lock_timeout rather than queue
      // every insert behind a long read (the next run tries again).
      await db.$transaction(
        async (tx) => {
          await tx.$executeRawUnsafe(
            `SET LOCAL lock_timeout = ${Math.trunc(options.lockTimeoutMs ?? 10_000)}`,
          );
          await tx.$executeRawUnsafe(`ALTER TABLE usage_logs DETACH PARTITION "${p.name}"`);
          await tx.$executeRawUnsafe(`DROP TABLE "${p.name}"`);
        },
        { maxWait: 10_000, timeout: 10 * 60_000 },
      );
      report.dropped.push(p.name);
    }
  }

  if (options.reindexClosedMonth ?? true) {
    const closed = partitionName(monthStart(now, -1));
    const found = await db.$queryRawUnsafe<{ reindexed: boolean; bytes: bigint }[]>(
      `SELECT coalesce(obj_description(c.oid, 'pg_class') = $2, false) AS reindexed,
         pg_indexes_size(c.oid) AS bytes
       FROM pg_class c WHERE c.relname = $1 AND c.relnamespace = current_schema()::regnamespace`,
      closed,
      REINDEXED,
    );
    // A month is rebuilt once, a day after it closed (late captures of its last hours have arrived by then).
    const settled = now.getTime() - monthStart(now).getTime() >= 86_400_000;
    if (found[0] && !found[0].reindexed && settled) {
      await db.$executeRawUnsafe(`REINDEX TABLE CONCURRENTLY "${closed}"`);
      await db.$executeRawUnsafe(`COMMENT ON TABLE "${closed}" IS '${REINDEXED}'`);
      const after = await db.$queryRawUnsafe<{ bytes: bigint }[]>(
        `SELECT pg_indexes_size('"${closed}"'::regclass) AS bytes`,
      );
      report.reindexed.push(closed);
      report.reindexBytes = { before: Number(found[0].bytes), after: Number(after[0]?.bytes ?? 0) };
    }
  }
  return report;
}
