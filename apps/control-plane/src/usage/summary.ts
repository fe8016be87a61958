import {
  type DbClient,
  usageBreakdown as readBreakdown,
  usageByService as readByService,
  UnknownTimeZoneError,
  type UsageScope,
} from "@tokenmeter/db";
import { ApiError } from "../errors.js";
import type { GroupByChoice } from "./group-by.js";
import type { DayRange } from "./period.js";

// A zone the runtime knew but PostgreSQL does not (older tzdata) is still the client's input: 400 invalid_tz.
async function zoneChecked<T>(read: Promise<T>): Promise<T> {
  try {
    return await read;
  } catch (error) {
    if (error instanceof UnknownTimeZoneError) throw new ApiError("invalid_tz", error.message);
    throw error;
  }
}

/** The ledger's totals by service, with an unknown zone answered as a 400. */
const usageByService: typeof readByService = (db, filter) => zoneChecked(readByService(db, filter));
/** The ledger's breakdown, with an unknown zone answered as a 400. */
const usageBreakdown: typeof readBreakdown = (db, groupBy, filter) =>
  zoneChecked(readBreakdown(db, groupBy, filter));

/**
 * The usage summary document shared by the buyer, seller and admin endpoints and the dashboard:
 * the seed contract's fields first, then extras (zone, exact decimal strings, token splits, errors).
 */
async function usageSummary(db: DbClient, range: DayRange, scope: UsageScope = {}) {
  const { total, services } = await usageByService(db, {
    from: range.from,
    to: range.to,
    tz: range.tz,
    ...scope,
  });
  return {
    calls_made: total.calls,
    total_tokens: total.total_tokens,
    indicative_cost: total.token_cost,
    usage_details_by_api: services.map((s) => ({
      api_service_id: s.id,
      api_service_name: s.name,
      calls: s.calls,
      total_tokens: s.total_tokens,
      token_cost: s.token_cost,
      token_cost_exact: s.token_cost_exact,
      input_tokens: s.input_tokens,
      output_tokens: s.output_tokens,
      cached_input_tokens: s.cached_input_tokens,
      error_calls: s.error_calls,
      unpriced_calls: s.unpriced_calls,
    })),
    period: range.period,
    from: range.from,
    to: range.to,
    tz: range.tz,
    currency: "USD",
    indicative_cost_exact: total.token_cost_exact,
    input_tokens: total.input_tokens,
    output_tokens: total.output_tokens,
    cached_input_tokens: total.cached_input_tokens,
    error_calls: total.error_calls,
    unpriced_calls: total.unpriced_calls,
  };
}

/** A breakdown document: `{group_by, period, from, to, tz, rows}`. */
export async function usageBreakdownReport(
  db: DbClient,
  groupBy: GroupByChoice,
  range: DayRange,
  scope: UsageScope = {},
) {
  const rows = await usageBreakdown(db, groupBy.dimension, {
    from: range.from,
    to: range.to,
    tz: range.tz,
    ...scope,
  });
  return { group_by: groupBy.name, period: range.period, from: range.from, to: range.to, tz: range.tz, rows };
}

/** The summary, plus `breakdown: {group_by, rows}` when the reader asked for a grouping. */
export async function usageSummaryWithBreakdown(
  db: DbClient,
  range: DayRange,
  scope: UsageScope,
  groupBy: GroupByChoice | undefined,
) {
  const [summary, breakdown] = await Promise.all([
    usageSummary(db, range, scope),
    groupBy === undefined ? undefined : usageBreakdownReport(db, groupBy, range, scope),
  ]);
  return breakdown === undefined
    ? summary
    : { ...summary, breakdown: { group_by: breakdown.group_by, rows: breakdown.rows } };
}
