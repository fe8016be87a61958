import type { DbClient } from "@tokenmeter/db";
import type { DayRange } from "./period.js";
import { usageByService } from "./queries.js";

/**
 * The usage summary document shared by the buyer endpoint, the admin endpoint and the dashboard:
 * the seed contract's fields first, then extras (exact decimal strings, token splits, errors).
 */
export async function usageSummary(
  db: DbClient,
  range: DayRange,
  filter: { buyerId?: bigint; apiServiceId?: bigint; sellerId?: bigint } = {},
) {
  const { total, services } = await usageByService(db, { from: range.from, to: range.to, ...filter });
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
    currency: "USD",
    indicative_cost_exact: total.token_cost_exact,
    input_tokens: total.input_tokens,
    output_tokens: total.output_tokens,
    cached_input_tokens: total.cached_input_tokens,
    error_calls: total.error_calls,
    unpriced_calls: total.unpriced_calls,
  };
}
