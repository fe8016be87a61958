/** A column a rollup level may keep besides time. */
export type RollupDimension = "buyer_user_id" | "api_key_id" | "api_service_id" | "model_name";
/** The time unit of a level: UTC hours, UTC days or UTC months. */
export type RollupGrain = "hour" | "day" | "month";
/** Levels that keep the same dimensions at several grains; a read uses one family for the whole range. */
export type RollupFamily = "service" | "buyer_total" | "service_buyer" | "key" | "buyer";

/** One rollup table: which dimensions it keeps, at which grain, and its primary key (the upsert's target). */
export interface RollupLevel {
  table: string;
  family: RollupFamily;
  grain: RollupGrain;
  dimensions: readonly RollupDimension[];
  /** Primary key columns in their order: the ON CONFLICT target. */
  key: readonly string[];
  /** Whether the table keeps cache_write_1h_tokens (the first hourly table does not). */
  oneHourColumn: boolean;
}

/**
 * Every rollup level, finest first within a family. The ingest statement, reprice/remeter deltas and
 * `rebuildRollups` are all generated from this list, so a level cannot be written one way and repaired
 * another. Families: `buyer` (buyer x service x model: buyer summaries and model breakdowns), `service`
 * (service x model, no buyer: every all-buyer and seller report), `buyer_total` (the buyer alone: breakdowns
 * by buyer across every buyer, a buyer's days), `service_buyer` (service x buyer per day and month, keyed
 * service first: a seller's breakdown by buyer; its hours come from the key levels), `key` (buyer x key x
 * service, no model: breakdowns by key, a buyer's summaries).
 */
export const ROLLUP_LEVELS: readonly RollupLevel[] = [
  {
    table: "usage_hourly_rollups",
    family: "buyer",
    grain: "hour",
    dimensions: ["buyer_user_id", "api_service_id", "model_name"],
    key: ["buyer_user_id", "hour", "api_service_id", "model_name"],
    oneHourColumn: false,
  },
  {
    table: "usage_daily_rollups",
    family: "buyer",
    grain: "day",
    dimensions: ["buyer_user_id", "api_service_id", "model_name"],
    key: ["buyer_user_id", "api_service_id", "day", "model_name"],
    oneHourColumn: true,
  },
  ...(["hour", "day", "month"] as const).map((grain) => ({
    table: `usage_service_${grain === "day" ? "daily" : `${grain}ly`}_rollups`,
    family: "service" as const,
    grain,
    dimensions: ["api_service_id", "model_name"] as const,
    key: [grain, "api_service_id", "model_name"],
    oneHourColumn: true,
  })),
  ...(["hour", "day", "month"] as const).map((grain) => ({
    table: `usage_buyer_${grain === "day" ? "daily" : `${grain}ly`}_rollups`,
    family: "buyer_total" as const,
    grain,
    dimensions: ["buyer_user_id"] as const,
    key: [grain, "buyer_user_id"],
    oneHourColumn: true,
  })),
  ...(["day", "month"] as const).map((grain) => ({
    table: `usage_service_buyer_${grain === "day" ? "daily" : "monthly"}_rollups`,
    family: "service_buyer" as const,
    grain,
    dimensions: ["api_service_id", "buyer_user_id"] as const,
    key: ["api_service_id", grain, "buyer_user_id"],
    oneHourColumn: true,
  })),
  ...(["hour", "day", "month"] as const).map((grain) => ({
    table: `usage_key_${grain === "day" ? "daily" : `${grain}ly`}_rollups`,
    family: "key" as const,
    grain,
    dimensions: ["buyer_user_id", "api_key_id", "api_service_id"] as const,
    key: ["buyer_user_id", grain, "api_key_id", "api_service_id"],
    oneHourColumn: true,
  })),
];

/** The counted columns every level keeps (cache_write_1h_tokens only where `oneHourColumn`). */
export const ROLLUP_MEASURES = [
  "calls",
  "error_calls",
  "unpriced_calls",
  "input_tokens",
  "output_tokens",
  "total_tokens",
  "cached_input_tokens",
  "cache_write_tokens",
  "cache_write_1h_tokens",
  "reasoning_tokens",
  "token_cost",
  "request_bytes",
  "response_bytes",
] as const;

/** A level's measures, in the order its statements list them. */
export function measuresOf(level: RollupLevel): string[] {
  return ROLLUP_MEASURES.filter((m) => level.oneHourColumn || m !== "cache_write_1h_tokens");
}

/** SQL for the level's time column from a timestamptz expression (UTC units). */
export function grainSql(grain: RollupGrain, instant: string): string {
  switch (grain) {
    case "hour":
      return `date_trunc('hour', ${instant}, 'UTC')`;
    case "day":
      return `(${instant} AT TIME ZONE 'UTC')::date`;
    case "month":
      return `date_trunc('month', ${instant} AT TIME ZONE 'UTC')::date`;
  }
}

/** The columns of an INSERT into the level: dimensions, time, measures. */
export function insertColumns(level: RollupLevel): string {
  return [...level.dimensions, level.grain, ...measuresOf(level)].join(", ");
}

/** `ON CONFLICT (key) DO UPDATE SET m = r.m + excluded.m, …`: upserts add, never overwrite. */
export function addOnConflict(level: RollupLevel): string {
  const set = measuresOf(level)
    .map((m) => `${m} = r.${m} + excluded.${m}`)
    .join(",\n    ");
  return `ON CONFLICT (${level.key.join(", ")}) DO UPDATE SET\n    ${set}`;
}

// The measures summed from raw usage_logs rows, with the ledger's definitions: an error is a status ≥ 400 or
// an upstream never reached; an unpriced call has a NULL cost and adds nothing to the cost.
const RAW_MEASURES: Record<(typeof ROLLUP_MEASURES)[number], string> = {
  calls: "count(*)",
  error_calls: "count(*) FILTER (WHERE status_code >= 400 OR NOT upstream_reached)",
  unpriced_calls: "count(*) FILTER (WHERE token_cost IS NULL)",
  input_tokens: "sum(input_tokens)",
  output_tokens: "sum(output_tokens)",
  total_tokens: "sum(total_tokens)",
  cached_input_tokens: "sum(cached_input_tokens)",
  cache_write_tokens: "sum(cache_write_tokens)",
  cache_write_1h_tokens: "sum(cache_write_1h_tokens)",
  reasoning_tokens: "sum(reasoning_tokens)",
  token_cost: "COALESCE(sum(token_cost), 0)",
  request_bytes: "sum(request_size_bytes)",
  response_bytes: "sum(response_size_bytes)",
};

const dimensionSql = (d: RollupDimension) => (d === "model_name" ? "COALESCE(model_name, '')" : d);

/**
 * `SELECT dimensions, time, sums FROM <source> [WHERE …] GROUP BY … ORDER BY …` for a relation with
 * usage_logs' column names. Ordered by the grouping so concurrent writers lock rollup rows in one order.
 */
export function aggregateSql(level: RollupLevel, source: string, where = ""): string {
  const columns = [
    ...level.dimensions.map(dimensionSql),
    grainSql(level.grain, "request_timestamp"),
    ...measuresOf(level).map((m) => RAW_MEASURES[m as keyof typeof RAW_MEASURES]),
  ];
  const groups = Array.from({ length: level.dimensions.length + 1 }, (_, i) => i + 1).join(", ");
  return `SELECT ${columns.join(", ")}
  FROM ${source}${where ? ` WHERE ${where}` : ""}
  GROUP BY ${groups}
  ORDER BY ${groups}`;
}

/** The usage_logs columns the levels read (what the ingest statement's RETURNING must include). */
export const ROLLUP_SOURCE_COLUMNS =
  "buyer_user_id, api_key_id, api_service_id, model_name, request_timestamp, status_code, upstream_reached, " +
  "input_tokens, output_tokens, total_tokens, cached_input_tokens, cache_write_tokens, cache_write_1h_tokens, " +
  "reasoning_tokens, token_cost, request_size_bytes, response_size_bytes";
