import { type PgPool, queryRows, requestTimeOf } from "@tokenmeter/pg";
import type { PrismaClient } from "./generated/prisma/client.js";
import {
  addOnConflict,
  aggregateSql,
  insertColumns,
  ROLLUP_LEVELS,
  ROLLUP_SOURCE_COLUMNS,
} from "./rollup-levels.js";
import { USAGE_COLUMN_LIST, USAGE_RECORD_TYPE, type UsageRow, usageRecordsJson } from "./usage-columns.js";

const columnList = USAGE_COLUMN_LIST;
// The retained capture travels as base64 text (decoded in SQL): one more field beside the row's columns.
const RECORD_EXTRA = {
  retained_capture: (r: UsageRow) => (r.retainedCapture ? r.retainedCapture.toString("base64") : null),
};

// Each rollup level as one more CTE of the ingest statement: exactly the inserted rows, added.
const rollupCtes = ROLLUP_LEVELS.map(
  (level, i) => `rolled_${i} AS (
  INSERT INTO ${level.table} AS r (${insertColumns(level)})
  ${aggregateSql(level, "inserted")}
  ${addOnConflict(level)}
)`,
).join(", ");

// One statement: insert the rows, skip request ids already recorded (a replayed or retried capture), keep the
// captures of the inserted rows that asked for it, and add exactly the inserted rows to every rollup level
// (UTC hours, days and months; see rollup-levels.ts). Being one statement, rows, captures and rollups change
// atomically. Rollup keys are sorted so concurrent batches from several workers take row locks in the same
// order. A NULL token_cost (unpriced) adds nothing to the cost and one to unpriced_calls.
const INSERT_SQL = `
WITH input AS (
  SELECT * FROM json_to_recordset($1::json) AS t(${USAGE_RECORD_TYPE}, retained_capture text)
), inserted AS (
  INSERT INTO usage_logs (${columnList})
  SELECT ${columnList} FROM input
  ON CONFLICT (request_id, request_timestamp) DO NOTHING
  RETURNING request_id, ${ROLLUP_SOURCE_COLUMNS}
), kept AS (
  INSERT INTO usage_captures (request_id, api_service_id, request_timestamp, capture)
  SELECT i.request_id, i.api_service_id, i.request_timestamp, decode(i.retained_capture, 'base64')
  FROM input i JOIN inserted n ON n.request_id = i.request_id
  WHERE i.retained_capture IS NOT NULL
  ON CONFLICT (request_id) DO NOTHING
), ${rollupCtes}
SELECT count(*)::int AS inserted FROM inserted`;

/** Result of recording a batch: how many rows were new, how many were already there. */
export interface RecordUsageResult {
  inserted: number;
  duplicates: number;
}

/**
 * Records usage rows idempotently (one row per request id, ever) and updates every rollup level in the same
 * statement: one statement per batch, its rows one JSON parameter, through a node-postgres pool (the worker)
 * or Prisma.
 */
export async function recordUsage(
  db: PrismaClient | PgPool,
  rows: readonly UsageRow[],
): Promise<RecordUsageResult> {
  if (rows.length === 0) return { inserted: 0, duplicates: 0 };
  const unique = new Map<string, UsageRow>();
  for (const row of rows) if (!unique.has(row.requestId)) unique.set(row.requestId, datedById(row));
  // Sorted, so concurrent batches holding the same ids take the unique-index locks in the same order.
  const batch = [...unique.values()].sort((a, b) => (a.requestId < b.requestId ? -1 : 1));
  const [result] = await queryRows<{ inserted: number }>(db, INSERT_SQL, [
    usageRecordsJson(batch, RECORD_EXTRA),
  ]);
  const inserted = Number(result?.inserted ?? 0);
  return { inserted, duplicates: rows.length - inserted };
}

/**
 * `usage_logs` is partitioned by request_timestamp, so its unique key is (request_id, request_timestamp). A UUIDv7
 * request id (every id the proxy makes) fixes the row's timestamp to the id's millisecond: a replay or a capture
 * whose timestamp disagrees with its id lands on the same key and is skipped, never recorded twice. Other ids
 * (imports, fixtures) keep their timestamp and are unique per (id, timestamp).
 */
function datedById(row: UsageRow): UsageRow {
  const at = requestTimeOf(row.requestId);
  return at === null || at.getTime() === row.requestTimestamp.getTime()
    ? row
    : { ...row, requestTimestamp: at };
}

/**
 * Whether a database error is about the rows themselves (SQLSTATE class 22 data exception or 23 integrity
 * violation): retrying the same rows cannot succeed, but the other rows of their batch can.
 */
export function isRowDataError(error: unknown): boolean {
  const cause = (
    error as { meta?: { driverAdapterError?: { cause?: { originalCode?: string; code?: string } } } }
  )?.meta?.driverAdapterError?.cause;
  const code = cause?.originalCode ?? cause?.code ?? (error as { code?: string })?.code ?? "";
  return /^2[23][0-9A-Z]{3}$/.test(code);
}
