-- usage_logs becomes a table partitioned by month on request_timestamp (UTC months), so whole months can be
-- dropped by retention and each month's indexes stay the size of a month. Existing rows are copied over.
--
-- The partition key must be part of every unique index: the primary key becomes (id, request_timestamp) and the
-- request id's uniqueness becomes (request_id, request_timestamp). The metering writer makes request_timestamp
-- the millisecond of the UUIDv7 request_id itself, so the pair is as unique as the id alone (README: "Nothing
-- lost, nothing counted twice").
--
-- Partitions: the months around this release (the ledger starts in November 2026), and a DEFAULT partition so
-- that no insert ever fails for lack of a partition. The worker's maintenance job creates the months ahead and
-- moves any row found in DEFAULT (older imports, fixtures) into a partition of its own month.
--
-- No semicolon may appear in this file except at the end of a statement (the migration runner splits on them).
--
-- The copy rewrites the table once: on a large existing table run this migration in a quiet window.

ALTER TABLE "usage_logs" RENAME TO "usage_logs_unpartitioned";
ALTER TABLE "usage_logs_unpartitioned" RENAME CONSTRAINT "usage_logs_pkey" TO "usage_logs_unpartitioned_pkey";
DROP INDEX "usage_logs_request_id_key";
DROP INDEX "idx_usage_logs_token_cost";
DROP INDEX "idx_usage_logs_model_name";
DROP INDEX "idx_usage_logs_buyer_tokens";
DROP INDEX "idx_usage_logs_service_time";
DROP INDEX "idx_usage_logs_request_timestamp";
DROP INDEX "idx_usage_logs_time_brin";

CREATE TABLE "usage_logs" (
    "id" BIGINT NOT NULL DEFAULT nextval('usage_logs_id_seq'),
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
    "cache_write_1h_tokens" INTEGER NOT NULL DEFAULT 0,
    "reasoning_tokens" INTEGER NOT NULL DEFAULT 0,
    "token_cost" DECIMAL(20,10) DEFAULT 0,
    "model_price_id" BIGINT,
    "usage_source" VARCHAR(16) NOT NULL DEFAULT 'none',
    "parser" VARCHAR(64),
    "parse_error" TEXT,
    "request_size_bytes" BIGINT NOT NULL DEFAULT 0,
    "response_size_bytes" BIGINT NOT NULL DEFAULT 0,
    "upstream_request_id" VARCHAR(200),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "usage_logs_pkey" PRIMARY KEY ("id","request_timestamp")
) PARTITION BY RANGE ("request_timestamp");

-- The id sequence now belongs to the new table (it would otherwise be dropped with the old one).
ALTER SEQUENCE "usage_logs_id_seq" OWNED BY "usage_logs"."id";

CREATE TABLE "usage_logs_default" PARTITION OF "usage_logs" DEFAULT;

CREATE TABLE "usage_logs_p202611" PARTITION OF "usage_logs" FOR VALUES FROM ('2026-11-01 00:00:00+00') TO ('2026-12-01 00:00:00+00');
CREATE TABLE "usage_logs_p202612" PARTITION OF "usage_logs" FOR VALUES FROM ('2026-12-01 00:00:00+00') TO ('2027-01-01 00:00:00+00');
CREATE TABLE "usage_logs_p202701" PARTITION OF "usage_logs" FOR VALUES FROM ('2027-01-01 00:00:00+00') TO ('2027-02-01 00:00:00+00');
CREATE TABLE "usage_logs_p202702" PARTITION OF "usage_logs" FOR VALUES FROM ('2027-02-01 00:00:00+00') TO ('2027-03-01 00:00:00+00');
CREATE TABLE "usage_logs_p202703" PARTITION OF "usage_logs" FOR VALUES FROM ('2027-03-01 00:00:00+00') TO ('2027-04-01 00:00:00+00');

-- Rows whose request id is a UUIDv7 take the id's own millisecond when it falls in the same UTC hour as the
-- recorded time (the proxy read its clock twice, a millisecond or so apart): hourly and daily rollups are
-- unchanged, and a later replay of such a capture finds its row. Other rows are copied as they are.
INSERT INTO "usage_logs" ("id", "request_id", "buyer_user_id", "api_key_id", "api_service_id", "request_timestamp",
  "http_method", "path", "status_code", "latency_ms", "ttfb_ms", "streamed", "upstream_reached", "error_code",
  "model_name", "input_tokens", "output_tokens", "total_tokens", "cached_input_tokens", "cache_write_tokens",
  "cache_write_1h_tokens", "reasoning_tokens", "token_cost", "model_price_id", "usage_source", "parser",
  "parse_error", "request_size_bytes", "response_size_bytes", "upstream_request_id", "created_at")
SELECT "id", "request_id", "buyer_user_id", "api_key_id", "api_service_id",
  CASE WHEN v7 AND date_trunc('hour', id_time, 'UTC') = date_trunc('hour', "request_timestamp", 'UTC')
    THEN id_time ELSE "request_timestamp" END,
  "http_method", "path", "status_code", "latency_ms", "ttfb_ms", "streamed", "upstream_reached", "error_code",
  "model_name", "input_tokens", "output_tokens", "total_tokens", "cached_input_tokens", "cache_write_tokens",
  "cache_write_1h_tokens", "reasoning_tokens", "token_cost", "model_price_id", "usage_source", "parser",
  "parse_error", "request_size_bytes", "response_size_bytes", "upstream_request_id", "created_at"
FROM "usage_logs_unpartitioned",
  LATERAL (SELECT substr("request_id"::text, 15, 1) = '7' AS v7,
    timestamptz '1970-01-01 00:00:00+00'
      + ('x' || substr(replace("request_id"::text, '-', ''), 1, 12))::bit(48)::bigint * interval '1 millisecond'
      AS id_time) AS t;

DROP TABLE "usage_logs_unpartitioned";

-- Indexes on the partitioned table (each partition gets its own): the seed's three, the earlier ones, and the
-- two unique keys.
CREATE UNIQUE INDEX "usage_logs_request_id_request_timestamp_key" ON "usage_logs"("request_id", "request_timestamp");
CREATE INDEX "idx_usage_logs_token_cost" ON "usage_logs"("token_cost");
CREATE INDEX "idx_usage_logs_model_name" ON "usage_logs"("model_name");
CREATE INDEX "idx_usage_logs_buyer_tokens" ON "usage_logs"("buyer_user_id", "request_timestamp", "total_tokens");
CREATE INDEX "idx_usage_logs_service_time" ON "usage_logs"("api_service_id", "request_timestamp");
CREATE INDEX "idx_usage_logs_request_timestamp" ON "usage_logs"("request_timestamp");
CREATE INDEX "idx_usage_logs_time_brin" ON "usage_logs" USING BRIN ("request_timestamp");
-- GET /admin/usage/logs filtered by buyer and service: keyset pages newest first by (request_timestamp, id).
CREATE INDEX "idx_usage_logs_buyer_service_time" ON "usage_logs"("buyer_user_id", "api_service_id", "request_timestamp", "id");
