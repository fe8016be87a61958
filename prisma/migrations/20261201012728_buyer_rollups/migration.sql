-- The buyer alone per UTC hour, day and month (no service, model or key): breakdowns by buyer across every
-- buyer read one time range of a small table. The key levels trade their time index for (service, time), the
-- path of the breakdown of a seller by buyer. The new levels are filled from usage_logs here, and from now on the ingest
-- statement writes them beside the others, and reprice/remeter move them by the same deltas. The buyer x service
-- x model levels lose their secondary indexes: no read uses them any more (all-buyer reports read the service
-- and buyer-only levels, the cost-spike alert the buyer-only hours), and each was one more insert per call.

-- DropIndex
DROP INDEX "usage_daily_rollups_api_service_id_day_idx";

-- DropIndex
DROP INDEX "usage_hourly_rollups_api_service_id_hour_idx";

-- DropIndex
DROP INDEX "usage_hourly_rollups_hour_idx";

-- DropIndex
DROP INDEX "usage_key_daily_rollups_day_idx";

-- DropIndex
DROP INDEX "usage_key_hourly_rollups_hour_idx";

-- DropIndex
DROP INDEX "usage_key_monthly_rollups_month_idx";

-- CreateTable
CREATE TABLE "usage_buyer_hourly_rollups" (
    "buyer_user_id" BIGINT NOT NULL,
    "hour" TIMESTAMPTZ(0) NOT NULL,
    "calls" BIGINT NOT NULL DEFAULT 0,
    "error_calls" BIGINT NOT NULL DEFAULT 0,
    "unpriced_calls" BIGINT NOT NULL DEFAULT 0,
    "input_tokens" BIGINT NOT NULL DEFAULT 0,
    "output_tokens" BIGINT NOT NULL DEFAULT 0,
    "total_tokens" BIGINT NOT NULL DEFAULT 0,
    "cached_input_tokens" BIGINT NOT NULL DEFAULT 0,
    "cache_write_tokens" BIGINT NOT NULL DEFAULT 0,
    "cache_write_1h_tokens" BIGINT NOT NULL DEFAULT 0,
    "reasoning_tokens" BIGINT NOT NULL DEFAULT 0,
    "token_cost" DECIMAL(24,10) NOT NULL DEFAULT 0,
    "request_bytes" BIGINT NOT NULL DEFAULT 0,
    "response_bytes" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "usage_buyer_hourly_rollups_pkey" PRIMARY KEY ("hour","buyer_user_id")
);

-- CreateTable
CREATE TABLE "usage_buyer_daily_rollups" (
    "buyer_user_id" BIGINT NOT NULL,
    "day" DATE NOT NULL,
    "calls" BIGINT NOT NULL DEFAULT 0,
    "error_calls" BIGINT NOT NULL DEFAULT 0,
    "unpriced_calls" BIGINT NOT NULL DEFAULT 0,
    "input_tokens" BIGINT NOT NULL DEFAULT 0,
    "output_tokens" BIGINT NOT NULL DEFAULT 0,
    "total_tokens" BIGINT NOT NULL DEFAULT 0,
    "cached_input_tokens" BIGINT NOT NULL DEFAULT 0,
    "cache_write_tokens" BIGINT NOT NULL DEFAULT 0,
    "cache_write_1h_tokens" BIGINT NOT NULL DEFAULT 0,
    "reasoning_tokens" BIGINT NOT NULL DEFAULT 0,
    "token_cost" DECIMAL(24,10) NOT NULL DEFAULT 0,
    "request_bytes" BIGINT NOT NULL DEFAULT 0,
    "response_bytes" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "usage_buyer_daily_rollups_pkey" PRIMARY KEY ("day","buyer_user_id")
);

-- CreateTable
CREATE TABLE "usage_buyer_monthly_rollups" (
    "buyer_user_id" BIGINT NOT NULL,
    "month" DATE NOT NULL,
    "calls" BIGINT NOT NULL DEFAULT 0,
    "error_calls" BIGINT NOT NULL DEFAULT 0,
    "unpriced_calls" BIGINT NOT NULL DEFAULT 0,
    "input_tokens" BIGINT NOT NULL DEFAULT 0,
    "output_tokens" BIGINT NOT NULL DEFAULT 0,
    "total_tokens" BIGINT NOT NULL DEFAULT 0,
    "cached_input_tokens" BIGINT NOT NULL DEFAULT 0,
    "cache_write_tokens" BIGINT NOT NULL DEFAULT 0,
    "cache_write_1h_tokens" BIGINT NOT NULL DEFAULT 0,
    "reasoning_tokens" BIGINT NOT NULL DEFAULT 0,
    "token_cost" DECIMAL(24,10) NOT NULL DEFAULT 0,
    "request_bytes" BIGINT NOT NULL DEFAULT 0,
    "response_bytes" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "usage_buyer_monthly_rollups_pkey" PRIMARY KEY ("month","buyer_user_id")
);

INSERT INTO "usage_buyer_hourly_rollups" (hour, buyer_user_id, calls, error_calls, unpriced_calls, input_tokens, output_tokens, total_tokens, cached_input_tokens, cache_write_tokens, cache_write_1h_tokens, reasoning_tokens, token_cost, request_bytes, response_bytes)
SELECT date_trunc('hour', request_timestamp, 'UTC'), buyer_user_id, count(*), count(*) FILTER (WHERE status_code >= 400 OR NOT upstream_reached), count(*) FILTER (WHERE token_cost IS NULL), sum(input_tokens), sum(output_tokens), sum(total_tokens), sum(cached_input_tokens), sum(cache_write_tokens), sum(cache_write_1h_tokens), sum(reasoning_tokens), COALESCE(sum(token_cost), 0), sum(request_size_bytes), sum(response_size_bytes)
  FROM "usage_logs"
  GROUP BY 1, 2
  ORDER BY 1, 2;

INSERT INTO "usage_buyer_daily_rollups" (day, buyer_user_id, calls, error_calls, unpriced_calls, input_tokens, output_tokens, total_tokens, cached_input_tokens, cache_write_tokens, cache_write_1h_tokens, reasoning_tokens, token_cost, request_bytes, response_bytes)
SELECT (request_timestamp AT TIME ZONE 'UTC')::date, buyer_user_id, count(*), count(*) FILTER (WHERE status_code >= 400 OR NOT upstream_reached), count(*) FILTER (WHERE token_cost IS NULL), sum(input_tokens), sum(output_tokens), sum(total_tokens), sum(cached_input_tokens), sum(cache_write_tokens), sum(cache_write_1h_tokens), sum(reasoning_tokens), COALESCE(sum(token_cost), 0), sum(request_size_bytes), sum(response_size_bytes)
  FROM "usage_logs"
  GROUP BY 1, 2
  ORDER BY 1, 2;

INSERT INTO "usage_buyer_monthly_rollups" (month, buyer_user_id, calls, error_calls, unpriced_calls, input_tokens, output_tokens, total_tokens, cached_input_tokens, cache_write_tokens, cache_write_1h_tokens, reasoning_tokens, token_cost, request_bytes, response_bytes)
SELECT date_trunc('month', request_timestamp AT TIME ZONE 'UTC')::date, buyer_user_id, count(*), count(*) FILTER (WHERE status_code >= 400 OR NOT upstream_reached), count(*) FILTER (WHERE token_cost IS NULL), sum(input_tokens), sum(output_tokens), sum(total_tokens), sum(cached_input_tokens), sum(cache_write_tokens), sum(cache_write_1h_tokens), sum(reasoning_tokens), COALESCE(sum(token_cost), 0), sum(request_size_bytes), sum(response_size_bytes)
  FROM "usage_logs"
  GROUP BY 1, 2
  ORDER BY 1, 2;

-- CreateIndex
CREATE INDEX "usage_key_daily_rollups_api_service_id_day_idx" ON "usage_key_daily_rollups"("api_service_id", "day");

-- CreateIndex
CREATE INDEX "usage_key_hourly_rollups_api_service_id_hour_idx" ON "usage_key_hourly_rollups"("api_service_id", "hour");

-- CreateIndex
CREATE INDEX "usage_key_monthly_rollups_api_service_id_month_idx" ON "usage_key_monthly_rollups"("api_service_id", "month");

