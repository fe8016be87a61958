-- A service per buyer and UTC day and month (no model or key), keyed service first: a seller breakdown by buyer
-- reads one index range per service instead of every key row of its services. Filled from usage_logs here, and
-- written by the ingest statement from now on (reprice and remeter move it by the same deltas).

-- CreateTable
CREATE TABLE "usage_service_buyer_daily_rollups" (
    "api_service_id" BIGINT NOT NULL,
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

    CONSTRAINT "usage_service_buyer_daily_rollups_pkey" PRIMARY KEY ("api_service_id","day","buyer_user_id")
);

-- CreateTable
CREATE TABLE "usage_service_buyer_monthly_rollups" (
    "api_service_id" BIGINT NOT NULL,
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

    CONSTRAINT "usage_service_buyer_monthly_rollups_pkey" PRIMARY KEY ("api_service_id","month","buyer_user_id")
);

INSERT INTO "usage_service_buyer_daily_rollups" (api_service_id, day, buyer_user_id, calls, error_calls, unpriced_calls, input_tokens, output_tokens, total_tokens, cached_input_tokens, cache_write_tokens, cache_write_1h_tokens, reasoning_tokens, token_cost, request_bytes, response_bytes)
SELECT api_service_id, (request_timestamp AT TIME ZONE 'UTC')::date, buyer_user_id, count(*), count(*) FILTER (WHERE status_code >= 400 OR NOT upstream_reached), count(*) FILTER (WHERE token_cost IS NULL), sum(input_tokens), sum(output_tokens), sum(total_tokens), sum(cached_input_tokens), sum(cache_write_tokens), sum(cache_write_1h_tokens), sum(reasoning_tokens), COALESCE(sum(token_cost), 0), sum(request_size_bytes), sum(response_size_bytes)
  FROM "usage_logs"
  GROUP BY 1, 2, 3
  ORDER BY 1, 2, 3;

INSERT INTO "usage_service_buyer_monthly_rollups" (api_service_id, month, buyer_user_id, calls, error_calls, unpriced_calls, input_tokens, output_tokens, total_tokens, cached_input_tokens, cache_write_tokens, cache_write_1h_tokens, reasoning_tokens, token_cost, request_bytes, response_bytes)
SELECT api_service_id, date_trunc('month', request_timestamp AT TIME ZONE 'UTC')::date, buyer_user_id, count(*), count(*) FILTER (WHERE status_code >= 400 OR NOT upstream_reached), count(*) FILTER (WHERE token_cost IS NULL), sum(input_tokens), sum(output_tokens), sum(total_tokens), sum(cached_input_tokens), sum(cache_write_tokens), sum(cache_write_1h_tokens), sum(reasoning_tokens), COALESCE(sum(token_cost), 0), sum(request_size_bytes), sum(response_size_bytes)
  FROM "usage_logs"
  GROUP BY 1, 2, 3
  ORDER BY 1, 2, 3;
