-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateTable
CREATE TABLE "buyers" (
    "id" BIGSERIAL NOT NULL,
    "name" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "buyers_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "api_keys" (
    "id" BIGSERIAL NOT NULL,
    "buyer_id" BIGINT NOT NULL,
    "key_hash" CHAR(64) NOT NULL,
    "prefix" VARCHAR(16) NOT NULL,
    "name" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revoked_at" TIMESTAMPTZ(3),

    CONSTRAINT "api_keys_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "api_services" (
    "id" BIGSERIAL NOT NULL,
    "name" TEXT NOT NULL,
    "slug" VARCHAR(63) NOT NULL,
    "upstream_url" TEXT NOT NULL,
    "upstream_headers" JSONB NOT NULL DEFAULT '{}',
    "inject_stream_usage" BOOLEAN NOT NULL DEFAULT false,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "api_services_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "model_prices" (
    "id" BIGSERIAL NOT NULL,
    "model" VARCHAR(200) NOT NULL,
    "source" VARCHAR(16) NOT NULL,
    "origin" TEXT,
    "input_cost_per_1k" DECIMAL(20,10) NOT NULL,
    "output_cost_per_1k" DECIMAL(20,10) NOT NULL,
    "cached_input_cost_per_1k" DECIMAL(20,10),
    "cache_write_cost_per_1k" DECIMAL(20,10),
    "effective_from" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "model_prices_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "usage_logs" (
    "id" BIGSERIAL NOT NULL,
    "request_id" UUID NOT NULL,
    "buyer_user_id" BIGINT NOT NULL,
    "api_key_id" BIGINT NOT NULL,
    "api_service_id" BIGINT NOT NULL,
    "request_timestamp" TIMESTAMPTZ(3) NOT NULL,
    "http_method" VARCHAR(16) NOT NULL,
    "path" TEXT NOT NULL,
    "status_code" INTEGER NOT NULL,
    "latency_ms" INTEGER NOT NULL,
    "ttfb_ms" INTEGER,
    "streamed" BOOLEAN NOT NULL DEFAULT false,
    "upstream_reached" BOOLEAN NOT NULL DEFAULT true,
    "error_code" VARCHAR(64),
    "model_name" VARCHAR(200),
    "input_tokens" INTEGER NOT NULL DEFAULT 0,
    "output_tokens" INTEGER NOT NULL DEFAULT 0,
    "total_tokens" INTEGER NOT NULL DEFAULT 0,
    "cached_input_tokens" INTEGER NOT NULL DEFAULT 0,
    "cache_write_tokens" INTEGER NOT NULL DEFAULT 0,
    "reasoning_tokens" INTEGER NOT NULL DEFAULT 0,
    "token_cost" DECIMAL(20,10) NOT NULL DEFAULT 0,
    "model_price_id" BIGINT,
    "usage_source" VARCHAR(16) NOT NULL DEFAULT 'none',
    "parser" VARCHAR(64),
    "parse_error" TEXT,
    "request_size_bytes" BIGINT NOT NULL DEFAULT 0,
    "response_size_bytes" BIGINT NOT NULL DEFAULT 0,
    "upstream_request_id" VARCHAR(200),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "usage_logs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "usage_daily_rollups" (
    "buyer_user_id" BIGINT NOT NULL,
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
    "reasoning_tokens" BIGINT NOT NULL DEFAULT 0,
    "token_cost" DECIMAL(24,10) NOT NULL DEFAULT 0,
    "request_bytes" BIGINT NOT NULL DEFAULT 0,
    "response_bytes" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "usage_daily_rollups_pkey" PRIMARY KEY ("buyer_user_id","api_service_id","day","model_name")
);

-- CreateIndex
CREATE UNIQUE INDEX "api_keys_key_hash_key" ON "api_keys"("key_hash");

-- CreateIndex
CREATE INDEX "api_keys_buyer_id_idx" ON "api_keys"("buyer_id");

-- CreateIndex
CREATE UNIQUE INDEX "api_services_slug_key" ON "api_services"("slug");

-- CreateIndex
CREATE UNIQUE INDEX "model_prices_model_source_effective_from_key" ON "model_prices"("model", "source", "effective_from");

-- CreateIndex
CREATE UNIQUE INDEX "usage_logs_request_id_key" ON "usage_logs"("request_id");

-- CreateIndex
CREATE INDEX "idx_usage_logs_token_cost" ON "usage_logs"("token_cost");

-- CreateIndex
CREATE INDEX "idx_usage_logs_model_name" ON "usage_logs"("model_name");

-- CreateIndex
CREATE INDEX "idx_usage_logs_buyer_tokens" ON "usage_logs"("buyer_user_id", "request_timestamp", "total_tokens");

-- CreateIndex
CREATE INDEX "idx_usage_logs_service_time" ON "usage_logs"("api_service_id", "request_timestamp");

-- CreateIndex
CREATE INDEX "usage_daily_rollups_api_service_id_day_idx" ON "usage_daily_rollups"("api_service_id", "day");

-- AddForeignKey
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_buyer_id_fkey" FOREIGN KEY ("buyer_id") REFERENCES "buyers"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

