import { DEFAULT_QUEUE_PREFIX } from "@tokenmeter/capture";
import { type EnvSource, envVar, parseEnv as parseRuntimeEnv, unsetIfEmpty } from "@tokenmeter/runtime";
import { secretsKeyringEnvSchema } from "@tokenmeter/secrets";
import { z } from "zod";
import { parsePrivateUpstreams } from "./services/upstream-url.js";

const envSchema = z.object({
  DATABASE_URL: envVar.url("postgresql://postgres@127.0.0.1:5432/tokenmeter", ["postgresql:", "postgres:"]),
  /** A read replica for reports and the dashboard; writes, admin changes and key lookups stay on DATABASE_URL. */
  DATABASE_READ_URL: unsetIfEmpty(
    z
      .string()
      .refine((value) => /^postgres(ql)?:\/\//.test(value), "must be a postgresql:// URL")
      .optional(),
  ),
  /** Pool sizes: writes and key lookups, buyer and seller reports, heavy admin reports, the dashboard. */
  DB_POOL_MAX: envVar.int(5, 1, 200),
  DB_READ_POOL_MAX: envVar.int(8, 1, 200),
  DB_HEAVY_POOL_MAX: envVar.int(2, 1, 50),
  DB_DASHBOARD_POOL_MAX: envVar.int(2, 1, 50),
  DB_CONNECT_TIMEOUT_MS: envVar.int(5000, 100, 60_000),
  /** statement_timeout per route class; a route past it answers 503 query_timeout. */
  READ_QUERY_TIMEOUT_MS: envVar.int(5000, 1, 600_000),
  HEAVY_QUERY_TIMEOUT_MS: envVar.int(15_000, 1, 600_000),
  DASHBOARD_QUERY_TIMEOUT_MS: envVar.int(10_000, 1, 600_000),
  /** How long a rendered dashboard is reused (0: never). */
  DASHBOARD_CACHE_MS: envVar.int(5000, 0, 600_000),
  REDIS_URL: envVar.url("redis://127.0.0.1:6379", ["redis:", "rediss:"]),
  API_PORT: envVar.port(8081),
  // Bound to loopback by default: the admin API and Bull Board must not be exposed by accident.
  HOST: envVar.string("127.0.0.1"),
  ADMIN_TOKEN: unsetIfEmpty(z.string({ error: "is required" }).min(16, "must be at least 16 characters")),
  /** Seals sellers' upstream headers (AES-256-GCM): 32-byte base64 keys, comma-separated, the first sealing. */
  SECRETS_KEY: unsetIfEmpty(secretsKeyringEnvSchema),
  /** Private, loopback and link-local upstreams are refused unless allowed: `true`, or a list of hosts. */
  ALLOW_PRIVATE_UPSTREAMS: z.string().optional().transform(parsePrivateUpstreams),
  QUEUE_PREFIX: envVar.string(DEFAULT_QUEUE_PREFIX),
  LOG_LEVEL: envVar.logLevel(),
});

/** The control plane's configuration, parsed from environment variables (frozen). */
export type Env = Readonly<z.infer<typeof envSchema>>;

/** Parses the configuration once at start-up into a frozen object; throws one error naming every bad variable. */
export function parseEnv(source: EnvSource = process.env): Env {
  return parseRuntimeEnv("control-plane", envSchema, source);
}
