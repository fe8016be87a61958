-- AlterTable
ALTER TABLE "api_services" ADD COLUMN     "model_aliases" JSONB NOT NULL DEFAULT '{}',
ADD COLUMN     "truncated_stream_policy" VARCHAR(16) NOT NULL DEFAULT 'estimate';

-- AlterTable
ALTER TABLE "usage_daily_rollups" ADD COLUMN     "cache_write_1h_tokens" BIGINT NOT NULL DEFAULT 0;

-- AlterTable
ALTER TABLE "usage_logs" ADD COLUMN     "cache_write_1h_tokens" INTEGER NOT NULL DEFAULT 0,
ALTER COLUMN "token_cost" DROP NOT NULL;

-- CreateTable
CREATE TABLE "usage_captures" (
    "request_id" UUID NOT NULL,
    "api_service_id" BIGINT NOT NULL,
    "request_timestamp" TIMESTAMPTZ(3) NOT NULL,
    "capture" BYTEA NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "usage_captures_pkey" PRIMARY KEY ("request_id")
);

-- CreateTable
CREATE TABLE "ledger_adjustments" (
    "id" BIGSERIAL NOT NULL,
    "kind" VARCHAR(16) NOT NULL,
    "actor" VARCHAR(200) NOT NULL,
    "params" JSONB NOT NULL,
    "status" VARCHAR(16) NOT NULL DEFAULT 'running',
    "rows_scanned" BIGINT NOT NULL DEFAULT 0,
    "rows_changed" BIGINT NOT NULL DEFAULT 0,
    "old_total" DECIMAL(24,10) NOT NULL DEFAULT 0,
    "new_total" DECIMAL(24,10) NOT NULL DEFAULT 0,
    "by_model" JSONB NOT NULL DEFAULT '[]',
    "error" TEXT,
    "started_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finished_at" TIMESTAMPTZ(3),

    CONSTRAINT "ledger_adjustments_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "usage_captures_request_timestamp_idx" ON "usage_captures"("request_timestamp");

-- CreateIndex
CREATE INDEX "usage_captures_created_at_idx" ON "usage_captures"("created_at");

-- CreateIndex
CREATE INDEX "ledger_adjustments_started_at_idx" ON "ledger_adjustments"("started_at");

-- CreateIndex
CREATE INDEX "idx_usage_logs_request_timestamp" ON "usage_logs"("request_timestamp");


-- Rows with tokens and no price were stored as 0 before token_cost could be NULL: mark them unpriced.
-- Rollups are unchanged (they already counted these rows as unpriced and added 0 to the cost).
UPDATE "usage_logs" SET "token_cost" = NULL WHERE "model_price_id" IS NULL AND "total_tokens" > 0;
