import { costNumber, type DbClient, decimalString, Prisma } from "@tokenmeter/db";
import { z } from "zod";
import { ApiError } from "../errors.js";
import { idJson, idSchema, queryInt } from "../http/validation.js";

/**
 * `GET /admin/usage/logs`: raw usage rows newest first by (request_timestamp, id), one keyset page at a time.
 *
 * Every filter has an index that yields rows in that order, so a page reads about `limit` index entries per
 * partition it touches whatever the table's size, and a cursor bounds request_timestamp so later pages skip the
 * newer partitions:
 * - buyer and service: idx_usage_logs_buyer_service_time (buyer_user_id, api_service_id, request_timestamp, id);
 * - buyer: idx_usage_logs_buyer_tokens (buyer_user_id, request_timestamp, …), ties on the millisecond sorted by id;
 * - service: idx_usage_logs_service_time (api_service_id, request_timestamp), likewise;
 * - seller: one such service scan per service of the seller, merged;
 * - none: idx_usage_logs_request_timestamp.
 */

export const logsQuerySchema = z.object({
  buyer_id: idSchema.optional(),
  api_service_id: idSchema.optional(),
  seller_id: idSchema.optional(),
  limit: queryInt(1, 500),
  /** The `next_cursor` of the previous page. */
  cursor: z.string().max(64).optional(),
  /** Older clients: the last row's id (`next_before_id`); the page continues after that row. */
  before_id: idSchema.optional(),
});
export type LogsQuery = z.output<typeof logsQuerySchema>;

/** A position in the (request_timestamp, id) order: the last row of a page. */
interface Position {
  at: Date;
  id: bigint;
}

/** The cursor of a position: opaque to clients (base64url of "<epoch ms>.<id>"). */
function encodeCursor(p: Position): string {
  return Buffer.from(`${p.at.getTime()}.${p.id}`).toString("base64url");
}

function decodeCursor(cursor: string): Position {
  const m = /^([0-9]{1,15})\.([1-9][0-9]{0,18})$/.exec(Buffer.from(cursor, "base64url").toString("latin1"));
  if (!m || BigInt(m[2] as string) > 9223372036854775807n)
    throw new ApiError("invalid_cursor", "cursor: not a cursor this API returned");
  return { at: new Date(Number(m[1])), id: BigInt(m[2] as string) };
}

interface LogRow {
  id: bigint;
  request_id: string;
  buyer_user_id: bigint;
  api_key_id: bigint;
  api_service_id: bigint;
  request_timestamp: Date;
  http_method: string;
  path: string;
  status_code: number;
  latency_ms: number;
  ttfb_ms: number | null;
  streamed: boolean;
  upstream_reached: boolean;
  error_code: string | null;
  model_name: string | null;
  input_tokens: number;
  output_tokens: number;
  total_tokens: number;
  cached_input_tokens: number;
  cache_write_tokens: number;
  cache_write_1h_tokens: number;
  reasoning_tokens: number;
  token_cost: string | null;
  model_price_id: bigint | null;
  usage_source: string;
  parser: string | null;
  parse_error: string | null;
  request_size_bytes: bigint;
  response_size_bytes: bigint;
  upstream_request_id: string | null;
  created_at: Date;
}

const COLUMNS = Prisma.raw(`id, request_id::text AS request_id, buyer_user_id, api_key_id, api_service_id,
  request_timestamp, http_method, path, status_code, latency_ms, ttfb_ms, streamed, upstream_reached, error_code,
  model_name, input_tokens, output_tokens, total_tokens, cached_input_tokens, cache_write_tokens,
  cache_write_1h_tokens, reasoning_tokens, token_cost::text AS token_cost, model_price_id, usage_source, parser,
  parse_error, request_size_bytes, response_size_bytes, upstream_request_id, created_at`);

/** A raw usage row in snake_case; ids and byte counts as numbers, the cost as number and exact string. */
const renderLog = (row: LogRow) => ({
  id: idJson(row.id),
  request_id: row.request_id,
  buyer_id: idJson(row.buyer_user_id),
  api_key_id: idJson(row.api_key_id),
  api_service_id: idJson(row.api_service_id),
  request_timestamp: row.request_timestamp.toISOString(),
  http_method: row.http_method,
  path: row.path,
  status_code: row.status_code,
  latency_ms: row.latency_ms,
  ttfb_ms: row.ttfb_ms,
  streamed: row.streamed,
  upstream_reached: row.upstream_reached,
  error_code: row.error_code,
  model_name: row.model_name,
  input_tokens: row.input_tokens,
  output_tokens: row.output_tokens,
  total_tokens: row.total_tokens,
  cached_input_tokens: row.cached_input_tokens,
  cache_write_tokens: row.cache_write_tokens,
  cache_write_1h_tokens: row.cache_write_1h_tokens,
  reasoning_tokens: row.reasoning_tokens,
  // null: the row has tokens and no price (see GET /admin/unpriced-models and POST /admin/reprice).
  token_cost: row.token_cost === null ? null : costNumber(row.token_cost),
  token_cost_exact: row.token_cost === null ? null : decimalString(row.token_cost),
  model_price_id: row.model_price_id === null ? null : idJson(row.model_price_id),
  usage_source: row.usage_source,
  parser: row.parser,
  parse_error: row.parse_error,
  request_size_bytes: Number(row.request_size_bytes),
  response_size_bytes: Number(row.response_size_bytes),
  upstream_request_id: row.upstream_request_id,
  created_at: row.created_at.toISOString(),
});

/** Where the page starts: after the cursor's row, after the before_id row, or at the newest row. */
async function startOf(db: DbClient, q: LogsQuery): Promise<Position | null> {
  if (q.cursor !== undefined) return decodeCursor(q.cursor);
  if (q.before_id === undefined) return null;
  // One primary-key probe per partition: (id, request_timestamp) is the key, id alone names at most one row.
  const found = await db.$queryRaw<{ at: Date }[]>`
    SELECT request_timestamp AS at FROM usage_logs WHERE id = ${q.before_id} LIMIT 1`;
  if (!found[0]) throw new ApiError("invalid_cursor", "before_id: no usage row has this id");
  return { at: found[0].at, id: q.before_id };
}

/** One page of raw rows and the cursor of the next (null on the last page). */
export async function usageLogsPage(db: DbClient, q: LogsQuery) {
  const limit = q.limit ?? 100;
  const start = await startOf(db, q);
  const where: Prisma.Sql[] = [];
  if (q.buyer_id !== undefined) where.push(Prisma.sql`buyer_user_id = ${q.buyer_id}`);
  if (start) {
    // The first clause bounds the index scans and prunes newer partitions; the row comparison breaks ties.
    where.push(Prisma.sql`request_timestamp <= ${start.at}`);
    where.push(Prisma.sql`(request_timestamp, id) < (${start.at}, ${start.id})`);
  }
  const and = (clauses: Prisma.Sql[]) => (clauses.length ? Prisma.join(clauses, " AND ") : Prisma.sql`TRUE`);
  let rows: LogRow[];
  if (q.seller_id !== undefined && q.api_service_id === undefined) {
    // A seller has a handful of services: read each one's newest rows by its index, then merge.
    rows = await db.$queryRaw<LogRow[]>`
      SELECT l.* FROM api_services s CROSS JOIN LATERAL (
        SELECT ${COLUMNS} FROM usage_logs
        WHERE api_service_id = s.id AND ${and(where)}
        ORDER BY request_timestamp DESC, id DESC LIMIT ${limit}) l
      WHERE s.seller_id = ${q.seller_id}
      ORDER BY l.request_timestamp DESC, l.id DESC LIMIT ${limit}`;
  } else {
    if (q.api_service_id !== undefined) where.push(Prisma.sql`api_service_id = ${q.api_service_id}`);
    if (q.seller_id !== undefined)
      where.push(
        Prisma.sql`api_service_id IN (SELECT id FROM api_services WHERE seller_id = ${q.seller_id})`,
      );
    rows = await db.$queryRaw<LogRow[]>`
      SELECT ${COLUMNS} FROM usage_logs WHERE ${and(where)}
      ORDER BY request_timestamp DESC, id DESC LIMIT ${limit}`;
  }
  const last = rows.length === limit ? rows.at(-1) : undefined;
  return {
    rows: rows.map(renderLog),
    next_cursor: last ? encodeCursor({ at: last.request_timestamp, id: last.id }) : null,
    next_before_id: last ? idJson(last.id) : null,
  };
}
