import type { AlertParams } from "@tokenmeter/alerts";
import type { DbClient } from "@tokenmeter/db";

/** A condition that holds now. Its fingerprint names what it is about, so it opens one alert until it clears. */
export interface Finding {
  kind: string;
  fingerprint: string;
  summary: string;
  evidence: Record<string, unknown>;
}

/** Counts of the captures queue, for the metering-lag rule. */
export interface CaptureQueueState {
  waiting: number;
  failed: number;
  /** Age of the oldest waiting job in seconds (0 when none). */
  oldestWaitingSeconds: number;
}

const id = (v: string | null) => (v === null ? null : Number(v));

/** Calls above a token or cost threshold, newest first (at most 100 per evaluation). */
export async function largeCalls(db: DbClient, p: AlertParams<"large_call">): Promise<Finding[]> {
  const rows = await db.$queryRaw<
    Array<{
      request_id: string;
      buyer_user_id: string;
      api_service_id: string;
      model_name: string | null;
      total_tokens: number;
      token_cost: string | null;
      request_timestamp: Date;
    }>
  >`
    SELECT request_id::text, buyer_user_id::text, api_service_id::text, model_name, total_tokens,
      token_cost::text, request_timestamp
    FROM usage_logs
    WHERE request_timestamp >= now() - make_interval(mins => ${p.window_minutes})
      AND (total_tokens > ${p.max_tokens} OR token_cost > ${p.max_cost_usd}::numeric)
    ORDER BY request_timestamp DESC LIMIT 100`;
  return rows.map((r) => ({
    kind: "large_call",
    fingerprint: `large_call:${r.request_id}`,
    summary: `call ${r.request_id} used ${r.total_tokens} tokens costing $${r.token_cost ?? "?"}`,
    evidence: {
      request_id: r.request_id,
      buyer_id: id(r.buyer_user_id),
      api_service_id: id(r.api_service_id),
      model: r.model_name,
      total_tokens: r.total_tokens,
      token_cost_usd: r.token_cost,
      max_tokens: p.max_tokens,
      max_cost_usd: p.max_cost_usd,
      request_timestamp: r.request_timestamp.toISOString(),
    },
  }));
}

/**
 * Buyers whose cost over the last hour (raw rows) exceeds `factor` × their mean hourly cost over the
 * `baseline_days` before it (the buyer-only hourly rollups), and `floor_usd`. Money stays NUMERIC; only text leaves SQL.
 */
export async function costSpikes(db: DbClient, p: AlertParams<"cost_spike">): Promise<Finding[]> {
  const rows = await db.$queryRaw<
    Array<{ buyer_user_id: string; buyer_name: string | null; last_hour: string; hourly_mean: string }>
  >`
    WITH recent AS (
      SELECT buyer_user_id, sum(COALESCE(token_cost, 0)) AS cost
      FROM usage_logs WHERE request_timestamp >= now() - interval '1 hour'
      GROUP BY 1
    ), baseline AS (
      SELECT buyer_user_id, sum(token_cost) / (24 * ${p.baseline_days}::int) AS mean
      FROM usage_buyer_hourly_rollups
      WHERE hour >= date_trunc('hour', now() - interval '1 hour') - make_interval(days => ${p.baseline_days})
        AND hour < date_trunc('hour', now() - interval '1 hour')
        AND buyer_user_id IN (SELECT buyer_user_id FROM recent)
      GROUP BY 1
    )
    SELECT r.buyer_user_id::text, b2.name AS buyer_name, r.cost::text AS last_hour,
      COALESCE(b.mean, 0)::text AS hourly_mean
    FROM recent r
    LEFT JOIN baseline b ON b.buyer_user_id = r.buyer_user_id
    LEFT JOIN buyers b2 ON b2.id = r.buyer_user_id
    WHERE r.cost > ${p.floor_usd}::numeric AND r.cost > ${p.factor}::numeric * COALESCE(b.mean, 0)
    ORDER BY r.buyer_user_id`;
  return rows.map((r) => ({
    kind: "cost_spike",
    fingerprint: `cost_spike:buyer:${r.buyer_user_id}`,
    summary: `buyer ${r.buyer_name ?? r.buyer_user_id} spent $${r.last_hour} in the last hour (hourly mean $${r.hourly_mean})`,
    evidence: {
      buyer_id: id(r.buyer_user_id),
      buyer_name: r.buyer_name,
      last_hour_cost_usd: r.last_hour,
      hourly_mean_cost_usd: r.hourly_mean,
      factor: p.factor,
      floor_usd: p.floor_usd,
      baseline_days: p.baseline_days,
    },
  }));
}

/** Services whose share of calls without parsed usage exceeds `max_percent` over the window. */
export async function parseFailureRates(
  db: DbClient,
  p: AlertParams<"parse_failure_rate">,
): Promise<Finding[]> {
  const rows = await db.$queryRaw<
    Array<{ api_service_id: string; service_name: string | null; calls: number; failed: number }>
  >`
    SELECT l.api_service_id::text, MAX(s.name) AS service_name, count(*)::int AS calls,
      (count(*) FILTER (WHERE l.parse_error IS NOT NULL))::int AS failed
    FROM usage_logs l LEFT JOIN api_services s ON s.id = l.api_service_id
    WHERE l.request_timestamp >= now() - make_interval(mins => ${p.window_minutes})
    GROUP BY l.api_service_id
    HAVING count(*) >= ${p.min_calls}
      AND (count(*) FILTER (WHERE l.parse_error IS NOT NULL)) * 100.0 > ${p.max_percent}::numeric * count(*)
    ORDER BY l.api_service_id`;
  return rows.map((r) => ({
    kind: "parse_failure_rate",
    fingerprint: `parse_failure_rate:service:${r.api_service_id}`,
    summary: `service ${r.service_name ?? r.api_service_id}: ${r.failed} of ${r.calls} calls without parsed usage`,
    evidence: {
      api_service_id: id(r.api_service_id),
      api_service_name: r.service_name,
      calls: r.calls,
      failed: r.failed,
      percent: Math.round((r.failed * 10_000) / r.calls) / 100,
      max_percent: p.max_percent,
      window_minutes: p.window_minutes,
    },
  }));
}

/** Models with tokens and no price in the window (a NULL cost is unpriced too). */
export async function unpricedModels(db: DbClient, p: AlertParams<"unpriced_model">): Promise<Finding[]> {
  const rows = await db.$queryRaw<
    Array<{ model_name: string; calls: number; tokens: string; services: string[]; buyers: string[] }>
  >`
    SELECT model_name, count(*)::int AS calls, sum(total_tokens)::text AS tokens,
      array_agg(DISTINCT api_service_id::text) AS services, array_agg(DISTINCT buyer_user_id::text) AS buyers
    FROM usage_logs
    WHERE request_timestamp >= now() - make_interval(mins => ${p.window_minutes})
      AND model_name IS NOT NULL AND total_tokens > 0
      AND (model_price_id IS NULL OR token_cost IS NULL)
    GROUP BY model_name ORDER BY model_name LIMIT 100`;
  return rows.map((r) => ({
    kind: "unpriced_model",
    fingerprint: `unpriced_model:${r.model_name}`,
    summary: `model "${r.model_name}" has no price: ${r.calls} calls, ${r.tokens} tokens not in any cost`,
    evidence: {
      model: r.model_name,
      calls: r.calls,
      total_tokens: Number(r.tokens),
      api_service_ids: r.services.map(Number),
      buyer_ids: r.buyers.map(Number),
      window_minutes: p.window_minutes,
    },
  }));
}

/** Metering behind (too many or too old waiting captures) or failed capture jobs. */
export function meteringLag(state: CaptureQueueState, p: AlertParams<"metering_lag">): Finding[] {
  const findings: Finding[] = [];
  if (state.waiting > p.max_waiting_jobs || state.oldestWaitingSeconds > p.max_oldest_waiting_seconds) {
    findings.push({
      kind: "metering_lag",
      fingerprint: "metering_lag:waiting",
      summary: `metering is behind: ${state.waiting} capture jobs waiting, oldest ${state.oldestWaitingSeconds} s`,
      evidence: { ...state, ...p },
    });
  }
  if (state.failed > p.max_failed_jobs) {
    findings.push({
      kind: "metering_lag",
      fingerprint: "metering_lag:failed",
      summary: `${state.failed} capture jobs failed (see Bull Board)`,
      evidence: { failed: state.failed, max_failed_jobs: p.max_failed_jobs },
    });
  }
  return findings;
}
