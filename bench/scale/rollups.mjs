// Rollups consistent with the loaded rows: the daily and hourly levels, grouped exactly as the worker's
// statement groups them (UTC day and hour, '' for an unknown model, errors and unpriced calls counted apart).
const SUMS = `count(*),
  count(*) FILTER (WHERE status_code >= 400 OR NOT upstream_reached),
  count(*) FILTER (WHERE token_cost IS NULL),
  sum(input_tokens), sum(output_tokens), sum(total_tokens), sum(cached_input_tokens), sum(cache_write_tokens)`;

const DAILY = `INSERT INTO usage_daily_rollups (buyer_user_id, api_service_id, model_name, day, calls, error_calls,
  unpriced_calls, input_tokens, output_tokens, total_tokens, cached_input_tokens, cache_write_tokens,
  cache_write_1h_tokens, reasoning_tokens, token_cost, request_bytes, response_bytes)
SELECT buyer_user_id, api_service_id, COALESCE(model_name, ''), (request_timestamp AT TIME ZONE 'UTC')::date,
  ${SUMS}, sum(cache_write_1h_tokens), sum(reasoning_tokens), COALESCE(sum(token_cost), 0),
  sum(request_size_bytes), sum(response_size_bytes)
FROM usage_logs GROUP BY 1, 2, 3, 4`;

const HOURLY = `INSERT INTO usage_hourly_rollups (buyer_user_id, api_service_id, model_name, hour, calls, error_calls,
  unpriced_calls, input_tokens, output_tokens, total_tokens, cached_input_tokens, cache_write_tokens,
  reasoning_tokens, token_cost, request_bytes, response_bytes)
SELECT buyer_user_id, api_service_id, COALESCE(model_name, ''), date_trunc('hour', request_timestamp, 'UTC'),
  ${SUMS}, sum(reasoning_tokens), COALESCE(sum(token_cost), 0), sum(request_size_bytes), sum(response_size_bytes)
FROM usage_logs GROUP BY 1, 2, 3, 4`;

/** Rebuilds the daily and hourly rollups from every row, each level on its own connection (in parallel). */
export async function buildRollups(connect) {
  await Promise.all(
    [DAILY, HOURLY].map(async (sql) => {
      const client = await connect();
      try {
        await client.query("SET work_mem = '256MB'");
        await client.query(sql);
      } finally {
        await client.end();
      }
    }),
  );
}
