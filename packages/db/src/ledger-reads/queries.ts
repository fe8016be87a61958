import { Prisma, type PrismaClient } from "../generated/prisma/client.js";
import type { RollupDimension, RollupFamily } from "../rollup-levels.js";
import { DEFAULT_TIME_ZONE, dayBoundaries } from "./bounds.js";
import { levelOf, partsSql, type ResolvedScope, type UsageScope } from "./parts.js";
import { planReads } from "./plan.js";
import { costNumber, countNumber, decimalString, idNumber } from "./render.js";

type DbClient = PrismaClient;

/** What a report covers: an inclusive range of local days in `tz` (default UTC) and whose usage. */
export interface UsageFilter extends UsageScope {
  from: string;
  to: string;
  tz?: string;
}

/** Dimensions a breakdown can group by. */
export const GROUP_BYS = ["buyer", "service", "model", "day", "key"] as const;
/** One of GROUP_BYS. */
export type GroupBy = (typeof GROUP_BYS)[number];

/** The sums of one group as PostgreSQL returns them (text, so nothing is rounded). */
export interface TotalsRow {
  calls: string | null;
  error_calls: string | null;
  unpriced_calls: string | null;
  input_tokens: string | null;
  output_tokens: string | null;
  total_tokens: string | null;
  cached_input_tokens: string | null;
  cache_write_tokens: string | null;
  reasoning_tokens: string | null;
  token_cost: string | null;
}

/** Usage totals of one group, token costs as JSON numbers plus their exact decimal strings. */
export interface UsageTotals {
  calls: number;
  error_calls: number;
  unpriced_calls: number;
  input_tokens: number;
  output_tokens: number;
  total_tokens: number;
  cached_input_tokens: number;
  cache_write_tokens: number;
  reasoning_tokens: number;
  token_cost: number;
  token_cost_exact: string;
}

// Sums run in PostgreSQL and come back as text: BIGINT sums are NUMERIC and token_cost is NUMERIC(24,10),
// so nothing is rounded before rendering.
export const SUMS = Prisma.sql`
  COALESCE(SUM(p.calls), 0)::text AS calls,
  COALESCE(SUM(p.error_calls), 0)::text AS error_calls,
  COALESCE(SUM(p.unpriced_calls), 0)::text AS unpriced_calls,
  COALESCE(SUM(p.input_tokens), 0)::text AS input_tokens,
  COALESCE(SUM(p.output_tokens), 0)::text AS output_tokens,
  COALESCE(SUM(p.total_tokens), 0)::text AS total_tokens,
  COALESCE(SUM(p.cached_input_tokens), 0)::text AS cached_input_tokens,
  COALESCE(SUM(p.cache_write_tokens), 0)::text AS cache_write_tokens,
  COALESCE(SUM(p.reasoning_tokens), 0)::text AS reasoning_tokens,
  COALESCE(SUM(p.token_cost), 0)::text AS token_cost`;

/**
 * A grouping's rows that counted calls. A part read whole minus its outside (ReadPlan.minus) can leave a group
 * (a buyer seen only outside the range) at zero: it is not in the range, so it is not reported.
 */
export const NONEMPTY = Prisma.sql`HAVING SUM(p.calls) <> 0`;

// The rollup families, smallest first: a read uses the first that keeps every dimension it needs and suits its
// scope (`service_buyer` is keyed service first: a buyer's own reads go to the buyer-first key levels).
const FAMILIES: ReadonlyArray<{
  family: RollupFamily;
  keeps: readonly RollupDimension[];
  suits?: (scope: UsageScope) => boolean;
}> = [
  { family: "service", keeps: ["api_service_id", "model_name"] },
  { family: "buyer_total", keeps: ["buyer_user_id"] },
  {
    family: "service_buyer",
    keeps: ["api_service_id", "buyer_user_id"],
    suits: (scope) => scope.buyerId === undefined,
  },
  { family: "key", keeps: ["buyer_user_id", "api_key_id", "api_service_id"] },
  { family: "buyer", keeps: ["buyer_user_id", "api_service_id", "model_name"] },
];

// What a grouping needs kept besides the filter's own dimensions.
const GROUP_DIMENSIONS: Record<GroupBy | "summary", RollupDimension[]> = {
  buyer: ["buyer_user_id"],
  service: ["api_service_id"],
  model: ["model_name"],
  day: [],
  key: ["api_key_id"],
  summary: ["api_service_id"],
};

/**
 * The rollup family a report reads: the smallest that keeps the filter's dimensions and the grouping's. A
 * report without a buyer reads the all-buyer (service x model) levels, a breakdown by buyer the buyer-only or
 * (for a seller or a service) the service x buyer levels, a breakdown by key the key levels, a buyer's report by
 * model the buyer levels. Every family sums the same rows, so the answer is the same.
 */
export function familyFor(scope: UsageScope, groupBy: GroupBy | "summary"): RollupFamily {
  const needed = new Set<RollupDimension>(GROUP_DIMENSIONS[groupBy]);
  if (scope.buyerId !== undefined) needed.add("buyer_user_id");
  if (scope.apiServiceId !== undefined || scope.sellerId !== undefined) needed.add("api_service_id");
  const fit = FAMILIES.find(
    (f) => [...needed].every((d) => f.keeps.includes(d)) && (f.suits?.(scope) ?? true),
  );
  return fit ? fit.family : "buyer";
}

/**
 * The `parts` relation for a filter: the range's local-day bounds from PostgreSQL, split by `planReads` into
 * monthly, daily and hourly rollups of one family and raw rows. `byDay` adds every local midnight as a bound
 * (and a `day` column).
 */
export async function parts(
  db: DbClient,
  filter: UsageFilter,
  groupBy: GroupBy | "summary",
  options: { byDay?: boolean } = {},
): Promise<Prisma.Sql> {
  const tz = filter.tz ?? DEFAULT_TIME_ZONE;
  const bounds = await dayBoundaries(db, { from: filter.from, to: filter.to, tz }, options.byDay ?? false);
  const family = familyFor(filter, groupBy);
  const plan = planReads(bounds, { months: levelOf(family, "month") !== undefined });
  const scope: ResolvedScope = {
    buyerId: filter.buyerId,
    apiServiceId: filter.apiServiceId,
    serviceIds: filter.sellerId === undefined ? undefined : await sellerServiceIds(db, filter.sellerId),
  };
  return partsSql(plan, family, scope, tz, options.byDay ?? false);
}

/** The services a seller owns now, read once per report. */
async function sellerServiceIds(db: DbClient, sellerId: bigint): Promise<bigint[]> {
  const rows = await db.$queryRaw<Array<{ ids: bigint[] | null }>>`
    SELECT array_agg(id) AS ids FROM api_services WHERE seller_id = ${sellerId}`;
  return rows[0]?.ids ?? [];
}

/** One group's sums as numbers and exact decimal strings. */
export function totals(row: TotalsRow): UsageTotals {
  const cost = row.token_cost ?? "0";
  return {
    calls: countNumber(row.calls),
    error_calls: countNumber(row.error_calls),
    unpriced_calls: countNumber(row.unpriced_calls),
    input_tokens: countNumber(row.input_tokens),
    output_tokens: countNumber(row.output_tokens),
    total_tokens: countNumber(row.total_tokens),
    cached_input_tokens: countNumber(row.cached_input_tokens),
    cache_write_tokens: countNumber(row.cache_write_tokens),
    reasoning_tokens: countNumber(row.reasoning_tokens),
    token_cost: costNumber(cost),
    token_cost_exact: decimalString(cost),
  };
}

/** Totals over the filter plus one entry per API service with calls, ordered by service id. */
export async function usageByService(
  db: DbClient,
  filter: UsageFilter,
): Promise<{ total: UsageTotals; services: Array<UsageTotals & { id: number; name: string | null }> }> {
  // GROUPING SETS yields the per-service rows and the grand total (one row even with no input) in one scan.
  const rows = await db.$queryRaw<
    Array<TotalsRow & { id: string | null; name: string | null; is_total: number }>
  >`
    WITH p AS (${await parts(db, filter, "summary")})
    SELECT p.api_service_id::text AS id, MAX(s.name) AS name, GROUPING(p.api_service_id)::int AS is_total, ${SUMS}
    FROM p LEFT JOIN api_services s ON s.id = p.api_service_id
    GROUP BY GROUPING SETS ((p.api_service_id), ())
    HAVING GROUPING(p.api_service_id) = 1 OR SUM(p.calls) <> 0
    ORDER BY GROUPING(p.api_service_id), p.api_service_id`;
  const totalRow = rows.find((row) => row.is_total === 1);
  const services = rows
    .filter((row) => row.is_total === 0 && row.id !== null)
    .map((row) => ({ id: idNumber(row.id as string), name: row.name, ...totals(row) }));
  return { total: totals(totalRow ?? ({} as TotalsRow)), services };
}

/** The key columns of a breakdown row, by dimension. */
export type BreakdownKey =
  | { buyer_id: number; buyer_name: string | null }
  | { api_service_id: number; api_service_name: string | null }
  | { model_name: string | null }
  | { day: string }
  | { api_key_id: number; api_key_prefix: string | null };

// Fixed SQL per dimension: nothing from the request is spliced in as raw SQL.
const DIMENSIONS: Record<GroupBy, { select: Prisma.Sql; join: Prisma.Sql; group: Prisma.Sql }> = {
  buyer: {
    select: Prisma.sql`p.buyer_user_id::text AS k, MAX(b.name) AS label`,
    join: Prisma.sql`LEFT JOIN buyers b ON b.id = p.buyer_user_id`,
    group: Prisma.sql`p.buyer_user_id`,
  },
  service: {
    select: Prisma.sql`p.api_service_id::text AS k, MAX(s.name) AS label`,
    join: Prisma.sql`LEFT JOIN api_services s ON s.id = p.api_service_id`,
    group: Prisma.sql`p.api_service_id`,
  },
  model: {
    select: Prisma.sql`p.model_name AS k, NULL AS label`,
    join: Prisma.empty,
    group: Prisma.sql`p.model_name`,
  },
  day: {
    select: Prisma.sql`to_char(p.day, 'YYYY-MM-DD') AS k, NULL AS label`,
    join: Prisma.empty,
    group: Prisma.sql`p.day`,
  },
  key: {
    select: Prisma.sql`p.api_key_id::text AS k, MAX(ak.prefix) AS label`,
    join: Prisma.sql`LEFT JOIN api_keys ak ON ak.id = p.api_key_id`,
    group: Prisma.sql`p.api_key_id`,
  },
};

/** The key columns of a breakdown row from its grouping value and label. */
function breakdownKey(groupBy: GroupBy, k: string, label: string | null): BreakdownKey {
  switch (groupBy) {
    case "buyer":
      return { buyer_id: Number(k), buyer_name: label };
    case "service":
      return { api_service_id: Number(k), api_service_name: label };
    case "model":
      // Rollups store '' for an unknown model (a primary key column cannot be NULL).
      return { model_name: k === "" ? null : k };
    case "day":
      return { day: k };
    case "key":
      return { api_key_id: Number(k), api_key_prefix: label };
  }
}

/**
 * One breakdown entry: its key columns, then its totals. Built by assignment, not by spreading two objects: a
 * spread of differently shaped keys is V8's slow path, and a breakdown by buyer renders a thousand of these.
 */
export function breakdownRow(
  groupBy: GroupBy,
  k: string,
  row: TotalsRow & { label: string | null },
): BreakdownKey & UsageTotals {
  return Object.assign(breakdownKey(groupBy, k, row.label), totals(row));
}

/**
 * Usage grouped by one dimension, ordered by that dimension (ids, model names or days ascending). Days are
 * local days in the filter's zone.
 */
export async function usageBreakdown(
  db: DbClient,
  groupBy: GroupBy,
  filter: UsageFilter,
): Promise<Array<BreakdownKey & UsageTotals>> {
  const dim = DIMENSIONS[groupBy];
  const source = await parts(db, filter, groupBy, { byDay: groupBy === "day" });
  const rows = await db.$queryRaw<Array<TotalsRow & { k: string; label: string | null }>>`
    WITH p AS (${source})
    SELECT ${dim.select}, ${SUMS}
    FROM p ${dim.join}
    GROUP BY ${dim.group}
    ${NONEMPTY}
    ORDER BY ${dim.group}`;
  return rows.map((row) => breakdownRow(groupBy, row.k, row));
}
