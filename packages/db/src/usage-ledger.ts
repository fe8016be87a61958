import type { PrismaClient } from "./generated/prisma/client.js";
import { requestTimeOf } from "./request-time.js";
import {
  addOnConflict,
  aggregateSql,
  insertColumns,
  ROLLUP_LEVELS,
  ROLLUP_SOURCE_COLUMNS,
} from "./rollup-levels.js";

/** Where a row's token counts came from: the upstream's usage, a seller's rule, an estimate, or nowhere. */
export type UsageSource = "reported" | "rule" | "estimated" | "none";

/** One metered call, ready for `usage_logs`. Costs are decimal strings (never floats). */
export interface UsageRow {
  requestId: string;
  buyerUserId: number;
  apiKeyId: number;
  apiServiceId: number;
  requestTimestamp: Date;
  httpMethod: string;
  path: string;
  statusCode: number;
  latencyMs: number;
  ttfbMs: number | null;
  streamed: boolean;
  upstreamReached: boolean;
  errorCode: string | null;
  modelName: string | null;
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  cachedInputTokens: number;
  cacheWriteTokens: number;
  /** Subset of cacheWriteTokens written with a one-hour lifetime. */
  cacheWrite1hTokens: number;
  reasoningTokens: number;
  /** Exact decimal string, e.g. "0.00000025"; null when the row has tokens but no price (unpriced). */
  tokenCost: string | null;
  modelPriceId: bigint | null;
  usageSource: UsageSource;
  parser: string | null;
  parseError: string | null;
  requestSizeBytes: number;
  responseSizeBytes: number;
  upstreamRequestId: string | null;
  /**
   * The gzip of the capture's JSON, kept in `usage_captures` (same statement as the row) when its usage
   * could not be read, so /admin/remeter can parse it again. Absent or null: nothing kept.
   */
  retainedCapture?: Buffer | null;
}

// PostgreSQL text cannot hold NUL; a buyer-sent model name must never make a row unstorable.
const text = (v: string | null): string | null => (v === null ? null : v.replaceAll("\u0000", ""));

// Column name, SQL array type, and how to read the value from a row. The order is the statement's order.
const COLUMNS: ReadonlyArray<readonly [string, string, (r: UsageRow) => unknown]> = [
  ["request_id", "uuid", (r) => r.requestId],
  ["buyer_user_id", "bigint", (r) => String(r.buyerUserId)],
  ["api_key_id", "bigint", (r) => String(r.apiKeyId)],
  ["api_service_id", "bigint", (r) => String(r.apiServiceId)],
  ["request_timestamp", "timestamptz", (r) => r.requestTimestamp.toISOString()],
  ["http_method", "text", (r) => text(r.httpMethod)],
  ["path", "text", (r) => text(r.path)],
  ["status_code", "int", (r) => r.statusCode],
  ["latency_ms", "int", (r) => r.latencyMs],
  ["ttfb_ms", "int", (r) => r.ttfbMs],
  ["streamed", "bool", (r) => r.streamed],
  ["upstream_reached", "bool", (r) => r.upstreamReached],
  ["error_code", "text", (r) => text(r.errorCode)],
  ["model_name", "text", (r) => text(r.modelName)],
  ["input_tokens", "int", (r) => r.inputTokens],
  ["output_tokens", "int", (r) => r.outputTokens],
  ["total_tokens", "int", (r) => r.totalTokens],
  ["cached_input_tokens", "int", (r) => r.cachedInputTokens],
  ["cache_write_tokens", "int", (r) => r.cacheWriteTokens],
  ["cache_write_1h_tokens", "int", (r) => r.cacheWrite1hTokens],
  ["reasoning_tokens", "int", (r) => r.reasoningTokens],
  ["token_cost", "numeric", (r) => r.tokenCost],
  ["model_price_id", "bigint", (r) => (r.modelPriceId === null ? null : String(r.modelPriceId))],
  ["usage_source", "text", (r) => text(r.usageSource)],
  ["parser", "text", (r) => text(r.parser)],
  ["parse_error", "text", (r) => text(r.parseError)],
  ["request_size_bytes", "bigint", (r) => String(r.requestSizeBytes)],
  ["response_size_bytes", "bigint", (r) => String(r.responseSizeBytes)],
  ["upstream_request_id", "text", (r) => text(r.upstreamRequestId)],
];

const columnList = COLUMNS.map(([name]) => name).join(", ");
// The retained capture travels as base64 text (decoded in SQL): one more array beside the row's columns.
const unnestArgs = [
  ...COLUMNS.map(([, type], i) => `$${i + 1}::${type}[]`),
  `$${COLUMNS.length + 1}::text[]`,
].join(", ");
const readCapture = (r: UsageRow) => (r.retainedCapture ? r.retainedCapture.toString("base64") : null);

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
  SELECT * FROM unnest(${unnestArgs}) AS t(${columnList}, retained_capture)
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
 * statement. One parameterised `unnest` statement per batch: Prisma stays the database layer at raw-SQL speed.
 */
export async function recordUsage(db: PrismaClient, rows: readonly UsageRow[]): Promise<RecordUsageResult> {
  return recordWith((sql, params) => db.$queryRawUnsafe<{ inserted: number }[]>(sql, ...params), rows);
}

async function recordWith(
  run: (sql: string, params: unknown[]) => Promise<{ inserted: number }[]>,
  rows: readonly UsageRow[],
): Promise<RecordUsageResult> {
  if (rows.length === 0) return { inserted: 0, duplicates: 0 };
  const unique = new Map<string, UsageRow>();
  for (const row of rows) if (!unique.has(row.requestId)) unique.set(row.requestId, datedById(row));
  // Sorted, so concurrent batches holding the same ids take the unique-index locks in the same order.
  const batch = [...unique.values()].sort((a, b) => (a.requestId < b.requestId ? -1 : 1));
  const params = [...COLUMNS.map(([, , read]) => batch.map(read)), batch.map(readCapture)];
  const result = await run(INSERT_SQL, params);
  const inserted = Number(result[0]?.inserted ?? 0);
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
