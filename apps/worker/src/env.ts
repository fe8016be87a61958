import { DEFAULT_QUEUE_PREFIX, signingKeysEnvSchema } from "@tokenmeter/capture";
import { type EnvSource, envVar, parseEnv, unsetIfEmpty } from "@tokenmeter/runtime";
import { z } from "zod";

const positive = (fallback: number) => envVar.int(fallback, 1);

const schema = z
  .object({
    DATABASE_URL: envVar.url("postgresql://postgres@127.0.0.1:5432/tokenmeter", ["postgresql:", "postgres:"]),
    REDIS_URL: envVar.url("redis://127.0.0.1:6379", ["redis:", "rediss:"]),
    WORKER_PORT: envVar.port(8082),
    HOST: envVar.string("127.0.0.1"),
    /** The proxies' capture signing secret(s), comma-separated: only batches signed with one of them are metered. */
    CAPTURE_SIGNING_KEY: unsetIfEmpty(signingKeysEnvSchema),
    QUEUE_PREFIX: envVar.string(DEFAULT_QUEUE_PREFIX),
    LOG_LEVEL: envVar.logLevel(),
    /**
     * Jobs processed at once (a proxy's job carries up to 250 captures); rows are written in batches. 16 keeps
     * ≈ 4,000 captures in flight: enough to keep the ingest pool busy, few enough that garbage collection does
     * not copy a huge live set (64 jobs: 130–148 µs per capture; 16: 115).
     */
    WORKER_CONCURRENCY: positive(16),
    /** Most rows in one INSERT. */
    BATCH_MAX_ROWS: positive(500),
    /** Longest a row waits for its batch to fill. */
    BATCH_MAX_WAIT_MS: positive(10),
    /** How long a job's lock lasts; a crashed worker's jobs are taken over after about this long. */
    WORKER_LOCK_MS: positive(30_000),
    /** How often prices and usage rules are reloaded (a change applies within this time). */
    PRICE_REFRESH_MS: positive(5000),
    /** Shortest time between two price re-reads for one model found without a price (negative cache). */
    PRICE_MISS_RECHECK_MS: positive(1000),
    /** Days the capture of a call whose usage could not be read is kept for /admin/remeter; 0 keeps none. */
    CAPTURE_RETENTION_DAYS: envVar.int(7, 0, 3650),
    /**
     * Whole months of raw usage rows kept before the current month: older monthly partitions of usage_logs are
     * dropped (the rollups are kept, so reports of those months stay exact). Unset keeps everything.
     */
    USAGE_RETENTION_MONTHS: unsetIfEmpty(z.coerce.number().int().min(1).max(1200).optional()),
    /** Months after the current one whose usage_logs partitions are created ahead of time. */
    USAGE_PARTITIONS_AHEAD: envVar.int(3, 1, 24),
    /** How often partitions are maintained (created ahead, retention, reindex), by one worker of the fleet. */
    USAGE_PARTITION_MAINTENANCE_MS: positive(3_600_000),
    /** How often alert rules are evaluated (by one worker of the fleet at a time). */
    ALERT_EVALUATE_MS: positive(30_000),
    /** Where alert events are POSTed (JSON, HMAC-signed); unset = no webhook. */
    ALERT_WEBHOOK_URL: unsetIfEmpty(z.url({ protocol: /^https?$/ }).optional()),
    /** The HMAC-SHA256 secret for the webhook's `x-tokenmeter-signature`; required with ALERT_WEBHOOK_URL. */
    ALERT_WEBHOOK_SECRET: unsetIfEmpty(z.string().min(16).optional()),
    /** First webhook retry delay; each further one doubles. */
    ALERT_WEBHOOK_BACKOFF_MS: positive(2000),
    /** Delivery attempts before an event stays in the failed set. */
    ALERT_WEBHOOK_ATTEMPTS: positive(10),
  })
  .refine((env) => !env.ALERT_WEBHOOK_URL || env.ALERT_WEBHOOK_SECRET, {
    message: "is required when ALERT_WEBHOOK_URL is set (at least 16 characters)",
    path: ["ALERT_WEBHOOK_SECRET"],
  });

/** The worker's configuration. */
export type WorkerEnv = Readonly<z.infer<typeof schema>>;

/** Parses the worker's environment once into a frozen object; throws one error naming each bad variable. */
export function parseWorkerEnv(source: EnvSource = process.env): WorkerEnv {
  return parseEnv("worker", schema, source);
}
