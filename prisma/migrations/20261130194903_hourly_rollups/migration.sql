-- Hourly rollups (same columns as the daily ones) so periods in any time zone stay exact and cheap.

-- CreateTable
CREATE TABLE "usage_hourly_rollups" (
    "buyer_user_id" BIGINT NOT NULL,
    "api_service_id" BIGINT NOT NULL,
    "model_name" VARCHAR(200) NOT NULL DEFAULT '',
    "hour" TIMESTAMPTZ(0) NOT NULL,
    "calls" BIGINT NOT NULL DEFAULT 0,
    "error_calls" BIGINT NOT NULL DEFAULT 0,
    "unpriced_calls" BIGINT NOT NULL DEFAULT 0,
    "input_tokens" BIGINT NOT NULL DEFAULT 0,
    "output_tokens" BIGINT NOT NULL DEFAULT 0,
    "total_tokens" BIGINT NOT NULL DEFAULT 0,
    "cached_input_tokens" BIGINT NOT NULL DEFAULT 0,
    "cache_write_tokens" BIGINT NOT NULL DEFAULT 0,
    "reasoning_tokens" BIGINT NOT NULL DEFAULT 0,
    "token_cost" DECIMAL(24,10) NOT NULL DEFAULT 0,
    "request_bytes" BIGINT NOT NULL DEFAULT 0,
    "response_bytes" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "usage_hourly_rollups_pkey" PRIMARY KEY ("buyer_user_id","hour","api_service_id","model_name")
);

-- Backfill from the rows already metered, with the ledger's own definitions of error and unpriced calls.
INSERT INTO "usage_hourly_rollups" (buyer_user_id, api_service_id, model_name, hour, calls, error_calls,
  unpriced_calls, input_tokens, output_tokens, total_tokens, cached_input_tokens, cache_write_tokens,
  reasoning_tokens, token_cost, request_bytes, response_bytes)
SELECT buyer_user_id, api_service_id, COALESCE(model_name, ''), date_trunc('hour', request_timestamp, 'UTC'),
  count(*),
  count(*) FILTER (WHERE status_code >= 400 OR NOT upstream_reached),
  count(*) FILTER (WHERE model_price_id IS NULL AND total_tokens > 0),
  sum(input_tokens), sum(output_tokens), sum(total_tokens), sum(cached_input_tokens),
  sum(cache_write_tokens), sum(reasoning_tokens), COALESCE(sum(token_cost), 0), sum(request_size_bytes),
  sum(response_size_bytes)
FROM "usage_logs"
GROUP BY 1, 2, 3, 4;

-- CreateIndex
CREATE INDEX "usage_hourly_rollups_api_service_id_hour_idx" ON "usage_hourly_rollups"("api_service_id", "hour");

-- CreateIndex
CREATE INDEX "usage_hourly_rollups_hour_idx" ON "usage_hourly_rollups"("hour");

-- CreateIndex
CREATE INDEX "idx_usage_logs_time_brin" ON "usage_logs" USING BRIN ("request_timestamp");
