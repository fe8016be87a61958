import type { Prisma, PrismaClient } from "./generated/prisma/client.js";
import { addOnConflict, grainSql, insertColumns, measuresOf, ROLLUP_LEVELS } from "./rollup-levels.js";
import type { UsageSource } from "./usage-columns.js";

/** A client or an interactive transaction: corrections run inside the caller's transaction. */
export type LedgerTx = PrismaClient | Prisma.TransactionClient;

/** The metered part of a usage row: what reprice and remeter may change. */
export interface MeteredValues {
  modelName: string | null;
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  cachedInputTokens: number;
  cacheWriteTokens: number;
  cacheWrite1hTokens: number;
  reasoningTokens: number;
  /** Exact decimal string; null = unpriced. */
  tokenCost: string | null;
  modelPriceId: bigint | null;
  usageSource: UsageSource;
  parser: string | null;
  parseError: string | null;
}

/** A stored usage row as a correction reads it: its rollup key and counted values besides its metered part. */
export interface LedgerRow extends MeteredValues {
  id: bigint;
  requestId: string;
  buyerUserId: bigint;
  apiKeyId: bigint;
  apiServiceId: bigint;
  requestTimestamp: Date;
  statusCode: number;
  upstreamReached: boolean;
  requestSizeBytes: bigint;
  responseSizeBytes: bigint;
}

/** A row as stored and what it should be. */
export interface LedgerCorrection {
  before: LedgerRow;
  after: MeteredValues;
}

interface RawLedgerRow {
  id: bigint;
  request_id: string;
  buyer_user_id: bigint;
  api_key_id: bigint;
  api_service_id: bigint;
  request_timestamp: Date;
  status_code: number;
  upstream_reached: boolean;
  request_size_bytes: bigint;
  response_size_bytes: bigint;
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
}

// token_cost is read as text so no decimal passes through a float.
const SELECT_ROW = `SELECT id, request_id::text AS request_id, buyer_user_id, api_key_id, api_service_id, request_timestamp,
  status_code, upstream_reached, request_size_bytes, response_size_bytes, model_name, input_tokens, output_tokens,
  total_tokens, cached_input_tokens, cache_write_tokens, cache_write_1h_tokens, reasoning_tokens,
  token_cost::text AS token_cost, model_price_id, usage_source, parser, parse_error FROM usage_logs`;

const toRow = (r: RawLedgerRow): LedgerRow => ({
  id: BigInt(r.id),
  requestId: r.request_id,
  buyerUserId: BigInt(r.buyer_user_id),
  apiKeyId: BigInt(r.api_key_id),
  apiServiceId: BigInt(r.api_service_id),
  requestTimestamp: r.request_timestamp,
  statusCode: r.status_code,
  upstreamReached: r.upstream_reached,
  requestSizeBytes: BigInt(r.request_size_bytes),
  responseSizeBytes: BigInt(r.response_size_bytes),
  modelName: r.model_name,
  inputTokens: r.input_tokens,
  outputTokens: r.output_tokens,
  totalTokens: r.total_tokens,
  cachedInputTokens: r.cached_input_tokens,
  cacheWriteTokens: r.cache_write_tokens,
  cacheWrite1hTokens: r.cache_write_1h_tokens,
  reasoningTokens: r.reasoning_tokens,
  tokenCost: r.token_cost,
  modelPriceId: r.model_price_id === null ? null : BigInt(r.model_price_id),
  // The column only ever holds what UsageSource names (the ledger writes nothing else).
  usageSource: r.usage_source as UsageSource,
  parser: r.parser,
  parseError: r.parse_error,
});

/** The id range of the rows whose request_timestamp is in [from, to), or null when there are none. */
export async function ledgerIdRange(
  db: LedgerTx,
  window: { from: Date; to: Date },
): Promise<{ first: bigint; last: bigint } | null> {
  const rows = await db.$queryRawUnsafe<{ first: bigint | null; last: bigint | null }[]>(
    "SELECT min(id) AS first, max(id) AS last FROM usage_logs WHERE request_timestamp >= $1 AND request_timestamp < $2",
    window.from,
    window.to,
  );
  const r = rows[0];
  return r?.first == null || r.last == null ? null : { first: BigInt(r.first), last: BigInt(r.last) };
}

/** What a chunk of a window is: ids after `afterId` up to `lastId`, in [from, to), optionally one service. */
export interface LedgerChunkQuery {
  from: Date;
  to: Date;
  afterId: bigint;
  lastId: bigint;
  apiServiceId?: bigint;
  limit: number;
  /** Lock the rows until the transaction ends (when they are about to be corrected). */
  forUpdate?: boolean;
}

/**
 * One chunk of a window, keyset by id (ascending). The id bounds come from `ledgerIdRange`, so each chunk
 * walks the primary key over a bounded range instead of re-reading the time index.
 */
export async function readLedgerChunk(db: LedgerTx, q: LedgerChunkQuery): Promise<LedgerRow[]> {
  const params: unknown[] = [q.afterId, q.lastId, q.from, q.to, q.limit];
  let service = "";
  if (q.apiServiceId !== undefined) {
    params.push(q.apiServiceId);
    service = ` AND api_service_id = $${params.length}`;
  }
  const rows = await db.$queryRawUnsafe<RawLedgerRow[]>(
    `${SELECT_ROW} WHERE id > $1 AND id <= $2 AND request_timestamp >= $3 AND request_timestamp < $4${service}
     ORDER BY id LIMIT $5${q.forUpdate ? " FOR UPDATE" : ""}`,
    ...params,
  );
  return rows.map(toRow);
}

/** The rows of the given request ids (in id order), optionally locked for update. */
export async function readLedgerRows(
  db: LedgerTx,
  requestIds: readonly string[],
  options: { forUpdate?: boolean } = {},
): Promise<LedgerRow[]> {
  if (requestIds.length === 0) return [];
  const rows = await db.$queryRawUnsafe<RawLedgerRow[]>(
    `${SELECT_ROW} WHERE request_id = ANY($1::uuid[]) ORDER BY id${options.forUpdate ? " FOR UPDATE" : ""}`,
    [...requestIds],
  );
  return rows.map(toRow);
}

/** Whether two metered values differ in anything stored. Costs compare as numbers, not as text. */
export function meteredValuesDiffer(a: MeteredValues, b: MeteredValues): boolean {
  const cost = (v: string | null) => (v === null ? null : v.replace(/(\.\d*?)0+$/, "$1").replace(/\.$/, ""));
  return (
    a.modelName !== b.modelName ||
    a.inputTokens !== b.inputTokens ||
    a.outputTokens !== b.outputTokens ||
    a.totalTokens !== b.totalTokens ||
    a.cachedInputTokens !== b.cachedInputTokens ||
    a.cacheWriteTokens !== b.cacheWriteTokens ||
    a.cacheWrite1hTokens !== b.cacheWrite1hTokens ||
    a.reasoningTokens !== b.reasoningTokens ||
    cost(a.tokenCost) !== cost(b.tokenCost) ||
    a.modelPriceId !== b.modelPriceId ||
    a.usageSource !== b.usageSource ||
    a.parser !== b.parser ||
    a.parseError !== b.parseError
  );
}

const text = (v: string | null): string | null => (v === null ? null : v.replaceAll("\u0000", ""));

const UPDATE_ROWS_SQL = `
UPDATE usage_logs u SET model_name = t.model_name, input_tokens = t.input_tokens, output_tokens = t.output_tokens,
  total_tokens = t.total_tokens, cached_input_tokens = t.cached_input_tokens,
  cache_write_tokens = t.cache_write_tokens, cache_write_1h_tokens = t.cache_write_1h_tokens,
  reasoning_tokens = t.reasoning_tokens, token_cost = t.token_cost, model_price_id = t.model_price_id,
  usage_source = t.usage_source, parser = t.parser, parse_error = t.parse_error
FROM unnest($1::bigint[], $2::text[], $3::int[], $4::int[], $5::int[], $6::int[], $7::int[], $8::int[], $9::int[],
  $10::numeric[], $11::bigint[], $12::text[], $13::text[], $14::text[], $15::timestamptz[])
  AS t(id, model_name, input_tokens, output_tokens, total_tokens, cached_input_tokens, cache_write_tokens,
    cache_write_1h_tokens, reasoning_tokens, token_cost, model_price_id, usage_source, parser, parse_error,
    request_timestamp)
-- The whole primary key: each row is looked up in its own month's partition only.
WHERE u.id = t.id AND u.request_timestamp = t.request_timestamp`;

// What each measure moves by, summed over the signed entries.
const DELTA_MEASURES: Record<string, string> = {
  calls: "sum(sign)",
  error_calls: "sum(CASE WHEN is_error THEN sign ELSE 0 END)",
  unpriced_calls: "sum(CASE WHEN unpriced THEN sign ELSE 0 END)",
};
const deltaMeasure = (m: string) => DELTA_MEASURES[m] ?? `sum(sign * ${m})`;

// Each correction is a -1 entry (the row as it was) and a +1 entry (as it becomes), summed per rollup key of every
// level: when the key stays the same only the changed values move; when remetering finds another model the whole
// row moves from one key to the other. One statement for all levels; keys sorted (the ingest statement's lock
// order).
const ROLLUP_DELTA_SQL = `
WITH d AS (
  SELECT * FROM unnest($1::int[], $2::bigint[], $3::bigint[], $4::bigint[], $5::text[], $6::timestamptz[],
    $7::bool[], $8::bool[], $9::bigint[], $10::bigint[], $11::bigint[], $12::bigint[], $13::bigint[],
    $14::bigint[], $15::bigint[], $16::numeric[], $17::bigint[], $18::bigint[])
    AS t(sign, buyer_user_id, api_key_id, api_service_id, model_name, request_timestamp, is_error, unpriced,
      input_tokens, output_tokens, total_tokens, cached_input_tokens, cache_write_tokens, cache_write_1h_tokens,
      reasoning_tokens, token_cost, request_bytes, response_bytes)
), ${ROLLUP_LEVELS.map((level, i) => {
  const groups = Array.from({ length: level.dimensions.length + 1 }, (_, j) => j + 1).join(", ");
  return `moved_${i} AS (
  INSERT INTO ${level.table} AS r (${insertColumns(level)})
  SELECT ${[...level.dimensions, grainSql(level.grain, "request_timestamp"), ...measuresOf(level).map(deltaMeasure)].join(", ")}
  FROM d GROUP BY ${groups} ORDER BY ${groups}
  ${addOnConflict(level)}
)`;
}).join(", ")}
SELECT 1`;

// A rollup whose rows all moved to another model is left with nothing: remove it rather than show a zero line.
// Only levels that keep the model can be emptied by a move.
const DROP_EMPTY_SQL = ROLLUP_LEVELS.filter((level) => level.dimensions.includes("model_name")).map(
  (level) => `
DELETE FROM ${level.table} r USING unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[], $5::timestamptz[])
  AS t(buyer_user_id, api_key_id, api_service_id, model_name, request_timestamp)
WHERE ${level.dimensions.map((d) => `r.${d} = t.${d}`).join(" AND ")}
  AND r.${level.grain} = ${grainSql(level.grain, "t.request_timestamp")} AND r.calls = 0`,
);

/**
 * Writes corrections to their rows and moves the rollups by exactly the difference, in the caller's
 * transaction (the rows must have been read FOR UPDATE in it, so `before` is what is stored). Returns how
 * many rows changed.
 */
export async function applyLedgerCorrections(
  tx: LedgerTx,
  corrections: readonly LedgerCorrection[],
): Promise<number> {
  const changed = corrections.filter((c) => meteredValuesDiffer(c.before, c.after));
  if (changed.length === 0) return 0;
  const col = <T>(read: (c: LedgerCorrection) => T) => changed.map(read);
  await tx.$executeRawUnsafe(
    UPDATE_ROWS_SQL,
    col((c) => String(c.before.id)),
    col((c) => text(c.after.modelName)),
    col((c) => c.after.inputTokens),
    col((c) => c.after.outputTokens),
    col((c) => c.after.totalTokens),
    col((c) => c.after.cachedInputTokens),
    col((c) => c.after.cacheWriteTokens),
    col((c) => c.after.cacheWrite1hTokens),
    col((c) => c.after.reasoningTokens),
    col((c) => c.after.tokenCost),
    col((c) => (c.after.modelPriceId === null ? null : String(c.after.modelPriceId))),
    col((c) => text(c.after.usageSource)),
    col((c) => text(c.after.parser)),
    col((c) => text(c.after.parseError)),
    col((c) => c.before.requestTimestamp.toISOString()),
  );
  const entries = changed.flatMap((c) => [
    { sign: -1, row: c.before, values: c.before as MeteredValues },
    { sign: 1, row: c.before, values: c.after },
  ]);
  const e = <T>(read: (x: (typeof entries)[number]) => T) => entries.map(read);
  const deltas = [
    e((x) => x.sign),
    e((x) => String(x.row.buyerUserId)),
    e((x) => String(x.row.apiKeyId)),
    e((x) => String(x.row.apiServiceId)),
    e((x) => text(x.values.modelName) ?? ""),
    e((x) => x.row.requestTimestamp.toISOString()),
    e((x) => x.row.statusCode >= 400 || !x.row.upstreamReached),
    e((x) => x.values.tokenCost === null),
    e((x) => String(x.values.inputTokens)),
    e((x) => String(x.values.outputTokens)),
    e((x) => String(x.values.totalTokens)),
    e((x) => String(x.values.cachedInputTokens)),
    e((x) => String(x.values.cacheWriteTokens)),
    e((x) => String(x.values.cacheWrite1hTokens)),
    e((x) => String(x.values.reasoningTokens)),
    e((x) => x.values.tokenCost ?? "0"),
    e((x) => String(x.row.requestSizeBytes)),
    e((x) => String(x.row.responseSizeBytes)),
  ];
  await tx.$executeRawUnsafe(ROLLUP_DELTA_SQL, ...deltas);
  const moved = changed.filter((c) => (c.before.modelName ?? "") !== (c.after.modelName ?? ""));
  if (moved.length > 0) {
    const keys = [
      moved.map((c) => String(c.before.buyerUserId)),
      moved.map((c) => String(c.before.apiKeyId)),
      moved.map((c) => String(c.before.apiServiceId)),
      moved.map((c) => text(c.before.modelName) ?? ""),
      moved.map((c) => c.before.requestTimestamp.toISOString()),
    ];
    for (const sql of DROP_EMPTY_SQL) await tx.$executeRawUnsafe(sql, ...keys);
  }
  return changed.length;
}
