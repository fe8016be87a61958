import { Prisma } from "../generated/prisma/client.js";
import {
  ROLLUP_LEVELS,
  ROLLUP_MEASURES,
  type RollupDimension,
  type RollupFamily,
  type RollupGrain,
  type RollupLevel,
} from "../rollup-levels.js";
import type { ReadPlan, Span } from "./plan.js";

/** Whose usage a report covers; the scope is applied to every source (rollups and raw rows alike). */
export interface UsageScope {
  buyerId?: bigint;
  apiServiceId?: bigint;
  /** Only the services this seller owns now: a service moved to another seller takes its history along. */
  sellerId?: bigint;
}

/** A scope as SQL sees it: a seller already resolved to its services (a plain array plans fastest). */
export interface ResolvedScope {
  buyerId?: bigint;
  apiServiceId?: bigint;
  serviceIds?: readonly bigint[];
}

function scopeSql(alias: "r" | "l", scope: ResolvedScope): Prisma.Sql {
  const column = (name: string) => Prisma.raw(`${alias}.${name}`);
  const clauses: Prisma.Sql[] = [];
  if (scope.buyerId !== undefined) clauses.push(Prisma.sql`${column("buyer_user_id")} = ${scope.buyerId}`);
  if (scope.apiServiceId !== undefined) {
    clauses.push(Prisma.sql`${column("api_service_id")} = ${scope.apiServiceId}`);
  }
  if (scope.serviceIds !== undefined) {
    clauses.push(Prisma.sql`${column("api_service_id")} = ANY(${scope.serviceIds.map(String)}::bigint[])`);
  }
  return clauses.length ? Prisma.join(clauses, " AND ") : Prisma.sql`TRUE`;
}

const iso = (t: number) => new Date(t).toISOString();
const isoDay = (t: number) => iso(t).slice(0, 10);

const MAX_OR_SPANS = 400;

// Rows within the spans: index ranges, or for very many spans an outer bound plus a multirange test.
function within(column: Prisma.Sql, spans: Span[], kind: "date" | "timestamptz"): Prisma.Sql {
  const text = kind === "date" ? isoDay : iso;
  const type = Prisma.raw(kind);
  const first = spans[0] as Span;
  const last = spans.at(-1) as Span;
  const bound = Prisma.sql`${column} >= ${text(first.from)}::${type} AND ${column} < ${text(last.to)}::${type}`;
  if (spans.length === 1) return bound;
  // A few spans far apart (a zone's cut hours at both ends of a long range): one index range each, so
  // PostgreSQL reads only those (BitmapOr) instead of everything between the first and the last.
  if (spans.length <= MAX_OR_SPANS) {
    return Prisma.sql`(${Prisma.join(
      spans.map(
        (s) => Prisma.sql`(${column} >= ${text(s.from)}::${type} AND ${column} < ${text(s.to)}::${type})`,
      ),
      " OR ",
    )})`;
  }
  const range = Prisma.raw(kind === "date" ? "daterange" : "tstzrange");
  // An uncorrelated subquery: PostgreSQL builds the multirange once, then each row is an O(log n) test.
  return Prisma.sql`${bound} AND ${column} <@ (SELECT range_agg(${range}(f, t)) FROM unnest(
    ${spans.map((s) => text(s.from))}::${type}[], ${spans.map((s) => text(s.to))}::${type}[]) AS s(f, t))`;
}

// What reports sum: every rollup measure but the one-hour cache writes and the byte counts, in the level's order.
const MEASURES = ROLLUP_MEASURES.filter(
  (
    m,
  ): m is Exclude<
    (typeof ROLLUP_MEASURES)[number],
    "cache_write_1h_tokens" | "request_bytes" | "response_bytes"
  > => m !== "cache_write_1h_tokens" && m !== "request_bytes" && m !== "response_bytes",
);
// A rollup row's sums as they are, or negated for a part that is subtracted (see ReadPlan.minus).
const ROLLUP_SUMS = Prisma.raw(MEASURES.map((m) => `r.${m}`).join(", "));
const NEGATED_ROLLUP_SUMS = Prisma.raw(MEASURES.map((m) => `-r.${m} AS ${m}`).join(", "));

// A raw row's contribution to each measure, with the ledger's definitions of an error and an unpriced call.
const RAW_MEASURES: Record<(typeof MEASURES)[number], string> = {
  calls: "1::bigint",
  error_calls: "(l.status_code >= 400 OR NOT l.upstream_reached)::int::bigint",
  unpriced_calls: "((l.model_price_id IS NULL AND l.total_tokens > 0) OR l.token_cost IS NULL)::int::bigint",
  input_tokens: "l.input_tokens::bigint",
  output_tokens: "l.output_tokens::bigint",
  total_tokens: "l.total_tokens::bigint",
  cached_input_tokens: "l.cached_input_tokens::bigint",
  cache_write_tokens: "l.cache_write_tokens::bigint",
  reasoning_tokens: "l.reasoning_tokens::bigint",
  token_cost: "COALESCE(l.token_cost, 0)",
};
const RAW_SUMS = Prisma.raw(MEASURES.map((m) => `${RAW_MEASURES[m]} AS ${m}`).join(", "));
const NEGATED_RAW_SUMS = Prisma.raw(MEASURES.map((m) => `-(${RAW_MEASURES[m]}) AS ${m}`).join(", "));

// How a level's row gives each `parts` column: its own column, or NULL where the level does not keep it.
function dimensionColumns(level: RollupLevel): Prisma.Sql {
  const has = (d: RollupDimension) => level.dimensions.includes(d);
  return Prisma.raw(
    [
      has("buyer_user_id") ? "r.buyer_user_id" : "NULL::bigint AS buyer_user_id",
      has("api_service_id") ? "r.api_service_id" : "NULL::bigint AS api_service_id",
      has("model_name") ? "r.model_name" : "NULL::text AS model_name",
      has("api_key_id") ? "r.api_key_id" : "NULL::bigint AS api_key_id",
    ].join(", "),
  );
}

/** The rollup table of a family at a grain, if the family keeps that grain. */
export function levelOf(family: RollupFamily, grain: RollupGrain): RollupLevel | undefined {
  return ROLLUP_LEVELS.find((level) => level.family === family && level.grain === grain);
}

// Where a family without hours reads them: a family that keeps all its dimensions and has an index for the same
// reads (the key levels' (service, hour) index serves a seller's hours as the service x buyer key would).
const HOURS_FROM: Partial<Record<RollupFamily, RollupFamily>> = { service_buyer: "key" };

/** The level a family reads a grain from: its own, or (hours only) the one HOURS_FROM names. */
function readLevel(family: RollupFamily, grain: RollupGrain): RollupLevel | undefined {
  const own = levelOf(family, grain);
  if (own || grain !== "hour") return own;
  const from = HOURS_FROM[family];
  return from ? levelOf(from, grain) : undefined;
}

/**
 * The rows a report sums, as one `parts` relation with the columns (day, buyer_user_id, api_service_id,
 * model_name, api_key_id, calls, error_calls, unpriced_calls, input_tokens, output_tokens, total_tokens,
 * cached_input_tokens, cache_write_tokens, reasoning_tokens, token_cost): whole UTC months, days and hours from
 * the family's rollup levels, the rest from `usage_logs` with the ledger's definitions of an error and an
 * unpriced call (a NULL cost counts as unpriced, never as money). `day` is the local date in `tz` when `byDay`
 * (the plan guarantees no rollup row straddles a local midnight), else NULL; a dimension the family does not
 * keep is NULL (the caller chose a family that keeps every dimension it groups or filters by). The parts of
 * `plan.minus` come negated: a group may then sum to zero calls, which every grouping query drops (`NONEMPTY`).
 */
export function partsSql(
  plan: ReadPlan,
  family: RollupFamily,
  scope: ResolvedScope,
  tz: string,
  byDay: boolean,
): Prisma.Sql {
  const day = (instant: Prisma.Sql) =>
    byDay ? Prisma.sql`(${instant} AT TIME ZONE ${tz})::date` : Prisma.sql`NULL::date`;
  const branches: Prisma.Sql[] = [];
  const rollups = (grain: RollupGrain, spans: Span[], negate: boolean) => {
    if (!spans.length) return;
    const level = readLevel(family, grain);
    if (!level) throw new Error(`no ${grain} level in the ${family} family`);
    const time = Prisma.raw(`r.${grain}`);
    const instant = grain === "hour" ? time : Prisma.sql`(${time}::timestamp AT TIME ZONE 'UTC')`;
    branches.push(Prisma.sql`
      SELECT ${day(instant)} AS day, ${dimensionColumns(level)}, ${negate ? NEGATED_ROLLUP_SUMS : ROLLUP_SUMS}
      FROM ${Prisma.raw(level.table)} r
      WHERE ${within(time, spans, grain === "hour" ? "timestamptz" : "date")} AND ${scopeSql("r", scope)}`);
  };
  const raw = (spans: Span[], negate: boolean) => {
    if (!spans.length) return;
    branches.push(Prisma.sql`
      SELECT ${day(Prisma.sql`l.request_timestamp`)} AS day, l.buyer_user_id, l.api_service_id,
        COALESCE(l.model_name, '') AS model_name, l.api_key_id, ${negate ? NEGATED_RAW_SUMS : RAW_SUMS}
      FROM usage_logs l
      WHERE ${within(Prisma.sql`l.request_timestamp`, spans, "timestamptz")} AND ${scopeSql("l", scope)}`);
  };
  rollups("month", plan.monthly, false);
  rollups("day", plan.daily, false);
  rollups("hour", plan.hourly, false);
  raw(plan.raw, false);
  rollups("day", plan.minus.daily, true);
  rollups("hour", plan.minus.hourly, true);
  raw(plan.minus.raw, true);
  if (!branches.length) {
    // An empty range still yields a well-typed, empty relation.
    return Prisma.sql`SELECT NULL::date AS day, NULL::bigint AS buyer_user_id, NULL::bigint AS api_service_id,
      NULL::text AS model_name, NULL::bigint AS api_key_id, 0::bigint AS calls, 0::bigint AS error_calls,
      0::bigint AS unpriced_calls, 0::bigint AS input_tokens, 0::bigint AS output_tokens, 0::bigint AS total_tokens,
      0::bigint AS cached_input_tokens, 0::bigint AS cache_write_tokens, 0::bigint AS reasoning_tokens,
      0::numeric AS token_cost WHERE FALSE`;
  }
  return Prisma.join(branches, " UNION ALL ");
}
