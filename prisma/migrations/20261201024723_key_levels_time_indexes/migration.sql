-- The key levels get their time indexes back: an operator's breakdown by key across every buyer reads a time range
-- of them (without it, one day read the whole daily level: 0.8 s at 10M rows). The service x buyer levels now
-- serve a seller's days and months, so only the key hours keep a (service, hour) index, for that family's hours.

-- DropIndex
DROP INDEX "usage_key_daily_rollups_api_service_id_day_idx";

-- DropIndex
DROP INDEX "usage_key_monthly_rollups_api_service_id_month_idx";

-- CreateIndex
CREATE INDEX "usage_key_daily_rollups_day_idx" ON "usage_key_daily_rollups"("day");

-- CreateIndex
CREATE INDEX "usage_key_hourly_rollups_hour_idx" ON "usage_key_hourly_rollups"("hour");

-- CreateIndex
CREATE INDEX "usage_key_monthly_rollups_month_idx" ON "usage_key_monthly_rollups"("month");

