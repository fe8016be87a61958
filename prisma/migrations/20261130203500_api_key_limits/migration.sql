-- Optional per-key limits, enforced by the proxy (429 with Retry-After).
ALTER TABLE "api_keys" ADD COLUMN "rate_limit_per_minute" INTEGER,
ADD COLUMN "max_concurrent_requests" INTEGER;
