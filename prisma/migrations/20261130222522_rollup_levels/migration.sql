-- Rollup levels without the buyer (service x model per UTC hour, day and month) for all-buyer and seller
-- reports, and per API key (buyer x key x service per hour, day and month) for breakdowns by key and by buyer.
-- The ingest statement writes them beside the existing levels, reprice and remeter move them by the same deltas.

-- CreateTable
CREATE TABLE "usage_service_hourly_rollups" (
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
    "cache_write_1h_tokens" BIGINT NOT NULL DEFAULT 0,
    "reasoning_tokens" BIGINT NOT NULL DEFAULT 0,
    "token_cost" DECIMAL(24,10) NOT NULL DEFAULT 0,
    "request_bytes" BIGINT NOT NULL DEFAULT 0,
    "response_bytes" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "usage_service_hourly_rollups_pkey" PRIMARY KEY ("hour","api_service_id","model_name")
);

-- CreateTable
CREATE TABLE "usage_service_daily_rollups" (
    "api_service_id" BIGINT NOT NULL,
    "model_name" VARCHAR(200) NOT NULL DEFAULT '',
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

    CONSTRAINT "usage_service_daily_rollups_pkey" PRIMARY KEY ("day","api_service_id","model_name")
);

-- CreateTable
CREATE TABLE "usage_service_monthly_rollups" (
    "api_service_id" BIGINT NOT NULL,
    "model_name" VARCHAR(200) NOT NULL DEFAULT '',
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

    CONSTRAINT "usage_service_monthly_rollups_pkey" PRIMARY KEY ("month","api_service_id","model_name")
);

-- CreateTable
CREATE TABLE "usage_key_hourly_rollups" (
    "buyer_user_id" BIGINT NOT NULL,
    "api_key_id" BIGINT NOT NULL,
    "api_service_id" BIGINT NOT NULL,
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

    CONSTRAINT "usage_key_hourly_rollups_pkey" PRIMARY KEY ("buyer_user_id","hour","api_key_id","api_service_id")
);

-- CreateTable
CREATE TABLE "usage_key_daily_rollups" (
    "buyer_user_id" BIGINT NOT NULL,
    "api_key_id" BIGINT NOT NULL,
    "api_service_id" BIGINT NOT NULL,
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

    CONSTRAINT "usage_key_daily_rollups_pkey" PRIMARY KEY ("buyer_user_id","day","api_key_id","api_service_id")
);

-- CreateTable
CREATE TABLE "usage_key_monthly_rollups" (
    "buyer_user_id" BIGINT NOT NULL,
    "api_key_id" BIGINT NOT NULL,
    "api_service_id" BIGINT NOT NULL,
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

    CONSTRAINT "usage_key_monthly_rollups_pkey" PRIMARY KEY ("buyer_user_id","month","api_key_id","api_service_id")
);

-- Backfill from the rows already metered, with the ingest statement's definitions (an unpriced call has a NULL
-- cost). Ingestion must be stopped while this runs, like any migration that writes the ledger.
INSERT INTO "usage_service_hourly_rollups" (api_service_id, model_name, hour, calls, error_calls, unpriced_calls, input_tokens, output_tokens, total_tokens, cached_input_tokens, cache_write_tokens, cache_write_1h_tokens, reasoning_tokens, token_cost, request_bytes, response_bytes)
SELECT api_service_id, COALESCE(model_name, ''), date_trunc('hour', request_timestamp, 'UTC'), count(*), count(*) FILTER (WHERE status_code >= 400 OR NOT upstream_reached), count(*) FILTER (WHERE token_cost IS NULL), sum(input_tokens), sum(output_tokens), sum(total_tokens), sum(cached_input_tokens), sum(cache_write_tokens), sum(cache_write_1h_tokens), sum(reasoning_tokens), COALESCE(sum(token_cost), 0), sum(request_size_bytes), sum(response_size_bytes)
  FROM "usage_logs"
  GROUP BY 1, 2, 3
  ORDER BY 1, 2, 3;

INSERT INTO "usage_service_daily_rollups" (api_service_id, model_name, day, calls, error_calls, unpriced_calls, input_tokens, output_tokens, total_tokens, cached_input_tokens, cache_write_tokens, cache_write_1h_tokens, reasoning_tokens, token_cost, request_bytes, response_bytes)
SELECT api_service_id, COALESCE(model_name, ''), (request_timestamp AT TIME ZONE 'UTC')::date, count(*), count(*) FILTER (WHERE status_code >= 400 OR NOT upstream_reached), count(*) FILTER (WHERE token_cost IS NULL), sum(input_tokens), sum(output_tokens), sum(total_tokens), sum(cached_input_tokens), sum(cache_write_tokens), sum(cache_write_1h_tokens), sum(reasoning_tokens), COALESCE(sum(token_cost), 0), sum(request_size_bytes), sum(response_size_bytes)
  FROM "usage_logs"
  GROUP BY 1, 2, 3
  ORDER BY 1, 2, 3;

INSERT INTO "usage_service_monthly_rollups" (api_service_id, model_name, month, calls, error_calls, unpriced_calls, input_tokens, output_tokens, total_tokens, cached_input_tokens, cache_write_tokens, cache_write_1h_tokens, reasoning_tokens, token_cost, request_bytes, response_bytes)
SELECT api_service_id, COALESCE(model_name, ''), date_trunc('month', request_timestamp AT TIME ZONE 'UTC')::date, count(*), count(*) FILTER (WHERE status_code >= 400 OR NOT upstream_reached), count(*) FILTER (WHERE token_cost IS NULL), sum(input_tokens), sum(output_tokens), sum(total_tokens), sum(cached_input_tokens), sum(cache_write_tokens), sum(cache_write_1h_tokens), sum(reasoning_tokens), COALESCE(sum(token_cost), 0), sum(request_size_bytes), sum(response_size_bytes)
  FROM "usage_logs"
  GROUP BY 1, 2, 3
  ORDER BY 1, 2, 3;

INSERT INTO "usage_key_hourly_rollups" (buyer_user_id, api_key_id, api_service_id, hour, calls, error_calls, unpriced_calls, input_tokens, output_tokens, total_tokens, cached_input_tokens, cache_write_tokens, cache_write_1h_tokens, reasoning_tokens, token_cost, request_bytes, response_bytes)
SELECT buyer_user_id, api_key_id, api_service_id, date_trunc('hour', request_timestamp, 'UTC'), count(*), count(*) FILTER (WHERE status_code >= 400 OR NOT upstream_reached), count(*) FILTER (WHERE token_cost IS NULL), sum(input_tokens), sum(output_tokens), sum(total_tokens), sum(cached_input_tokens), sum(cache_write_tokens), sum(cache_write_1h_tokens), sum(reasoning_tokens), COALESCE(sum(token_cost), 0), sum(request_size_bytes), sum(response_size_bytes)
  FROM "usage_logs"
  GROUP BY 1, 2, 3, 4
  ORDER BY 1, 2, 3, 4;

INSERT INTO "usage_key_daily_rollups" (buyer_user_id, api_key_id, api_service_id, day, calls, error_calls, unpriced_calls, input_tokens, output_tokens, total_tokens, cached_input_tokens, cache_write_tokens, cache_write_1h_tokens, reasoning_tokens, token_cost, request_bytes, response_bytes)
SELECT buyer_user_id, api_key_id, api_service_id, (request_timestamp AT TIME ZONE 'UTC')::date, count(*), count(*) FILTER (WHERE status_code >= 400 OR NOT upstream_reached), count(*) FILTER (WHERE token_cost IS NULL), sum(input_tokens), sum(output_tokens), sum(total_tokens), sum(cached_input_tokens), sum(cache_write_tokens), sum(cache_write_1h_tokens), sum(reasoning_tokens), COALESCE(sum(token_cost), 0), sum(request_size_bytes), sum(response_size_bytes)
  FROM "usage_logs"
  GROUP BY 1, 2, 3, 4
  ORDER BY 1, 2, 3, 4;

INSERT INTO "usage_key_monthly_rollups" (buyer_user_id, api_key_id, api_service_id, month, calls, error_calls, unpriced_calls, input_tokens, output_tokens, total_tokens, cached_input_tokens, cache_write_tokens, cache_write_1h_tokens, reasoning_tokens, token_cost, request_bytes, response_bytes)
SELECT buyer_user_id, api_key_id, api_service_id, date_trunc('month', request_timestamp AT TIME ZONE 'UTC')::date, count(*), count(*) FILTER (WHERE status_code >= 400 OR NOT upstream_reached), count(*) FILTER (WHERE token_cost IS NULL), sum(input_tokens), sum(output_tokens), sum(total_tokens), sum(cached_input_tokens), sum(cache_write_tokens), sum(cache_write_1h_tokens), sum(reasoning_tokens), COALESCE(sum(token_cost), 0), sum(request_size_bytes), sum(response_size_bytes)
  FROM "usage_logs"
  GROUP BY 1, 2, 3, 4
  ORDER BY 1, 2, 3, 4;

-- CreateIndex
CREATE INDEX "usage_key_hourly_rollups_hour_idx" ON "usage_key_hourly_rollups"("hour");

-- CreateIndex
CREATE INDEX "usage_key_daily_rollups_day_idx" ON "usage_key_daily_rollups"("day");

-- CreateIndex
CREATE INDEX "usage_key_monthly_rollups_month_idx" ON "usage_key_monthly_rollups"("month");

