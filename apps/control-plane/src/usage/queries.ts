import { type DbClient, Prisma } from "@tokenmeter/db";
import { idJson } from "../http/validation.js";
import { costNumber, countNumber, decimalString } from "./render.js";

/** Which rollups a report covers: an inclusive UTC day range and optional buyer/service filters. */
export interface UsageFilter {
  from: string;
  to: string;
  buyerId?: bigint;
  apiServiceId?: bigint;
  /** Only the services this seller owns (now: a service moved to another seller takes its history along). */
  sellerId?: bigint;
}

/** Dimensions a breakdown can group by. */
export const GROUP_BYS = ["buyer", "service", "model", "day"] as const;
/** One of GROUP_BYS. */
export type GroupBy = (typeof GROUP_BYS)[number];

interface TotalsRow {
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
const SUMS = Prisma.sql`
  COALESCE(SUM(r.calls), 0)::text AS calls,
  COALESCE(SUM(r.error_calls), 0)::text AS error_calls,
  COALESCE(SUM(r.unpriced_calls), 0)::text AS unpriced_calls,
  COALESCE(SUM(r.input_tokens), 0)::text AS input_tokens,
  COALESCE(SUM(r.output_tokens), 0)::text AS output_tokens,
  COALESCE(SUM(r.total_tokens), 0)::text AS total_tokens,
  COALESCE(SUM(r.cached_input_tokens), 0)::text AS cached_input_tokens,
  COALESCE(SUM(r.cache_write_tokens), 0)::text AS cache_write_tokens,
  COALESCE(SUM(r.reasoning_tokens), 0)::text AS reasoning_tokens,
  COALESCE(SUM(r.token_cost), 0)::text AS token_cost`;

function where(filter: UsageFilter): Prisma.Sql {
  const clauses = [Prisma.sql`r.day BETWEEN ${filter.from}::date AND ${filter.to}::date`];
  if (filter.buyerId !== undefined) clauses.push(Prisma.sql`r.buyer_user_id = ${filter.buyerId}`);
  if (filter.apiServiceId !== undefined) clauses.push(Prisma.sql`r.api_service_id = ${filter.apiServiceId}`);
  if (filter.sellerId !== undefined) {
    clauses.push(
      Prisma.sql`r.api_service_id IN (SELECT id FROM api_services WHERE seller_id = ${filter.sellerId})`,
    );
  }
  return Prisma.sql`WHERE ${Prisma.join(clauses, " AND ")}`;
}

function totals(row: TotalsRow): UsageTotals {
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
    SELECT r.api_service_id::text AS id, MAX(s.name) AS name, GROUPING(r.api_service_id)::int AS is_total, ${SUMS}
    FROM usage_daily_rollups r LEFT JOIN api_services s ON s.id = r.api_service_id
    ${where(filter)}
    GROUP BY GROUPING SETS ((r.api_service_id), ())
    ORDER BY GROUPING(r.api_service_id), r.api_service_id`;
  const totalRow = rows.find((row) => row.is_total === 1);
  const services = rows
    .filter((row) => row.is_total === 0 && row.id !== null)
    .map((row) => ({ id: idJson(BigInt(row.id as string)), name: row.name, ...totals(row) }));
  return { total: totals(totalRow ?? ({} as TotalsRow)), services };
}

/** The key columns of a breakdown row, by dimension. */
export type BreakdownKey =
  | { buyer_id: number; buyer_name: string | null }
  | { api_service_id: number; api_service_name: string | null }
  | { model_name: string | null }
  | { day: string };

// Fixed SQL per dimension: nothing from the request is spliced in as raw SQL.
const DIMENSIONS: Record<GroupBy, { select: Prisma.Sql; join: Prisma.Sql; group: Prisma.Sql }> = {
  buyer: {
    select: Prisma.sql`r.buyer_user_id::text AS k, MAX(b.name) AS label`,
    join: Prisma.sql`LEFT JOIN buyers b ON b.id = r.buyer_user_id`,
    group: Prisma.sql`r.buyer_user_id`,
  },
  service: {
    select: Prisma.sql`r.api_service_id::text AS k, MAX(s.name) AS label`,
    join: Prisma.sql`LEFT JOIN api_services s ON s.id = r.api_service_id`,
    group: Prisma.sql`r.api_service_id`,
  },
  model: {
    select: Prisma.sql`r.model_name AS k, NULL AS label`,
    join: Prisma.empty,
    group: Prisma.sql`r.model_name`,
  },
  day: {
    select: Prisma.sql`to_char(r.day, 'YYYY-MM-DD') AS k, NULL AS label`,
    join: Prisma.empty,
    group: Prisma.sql`r.day`,
  },
};

function key(groupBy: GroupBy, k: string, label: string | null): BreakdownKey {
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
  }
}

/** Usage grouped by one dimension, ordered by that dimension (ids, model names or days ascending). */
export async function usageBreakdown(
  db: DbClient,
  groupBy: GroupBy,
  filter: UsageFilter,
): Promise<Array<BreakdownKey & UsageTotals>> {
  const dim = DIMENSIONS[groupBy];
  const rows = await db.$queryRaw<Array<TotalsRow & { k: string; label: string | null }>>`
    SELECT ${dim.select}, ${SUMS}
    FROM usage_daily_rollups r ${dim.join}
    ${where(filter)}
    GROUP BY ${dim.group}
    ORDER BY ${dim.group}`;
  return rows.map((row) => ({ ...key(groupBy, row.k, row.label), ...totals(row) }));
}
