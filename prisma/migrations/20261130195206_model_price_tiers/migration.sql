-- AlterTable
ALTER TABLE "model_prices" ADD COLUMN     "cache_write_1h_cost_per_1k" DECIMAL(20,10),
ADD COLUMN     "tiers" JSONB;
