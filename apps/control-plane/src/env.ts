import { DEFAULT_QUEUE_PREFIX } from "@tokenmeter/capture";
import { secretsKeyringEnvSchema } from "@tokenmeter/secrets";
import { z } from "zod";
import { parsePrivateUpstreams } from "./services/upstream-url.js";

// An empty variable counts as unset, so `FOO=` in a compose file falls back to the default.
const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (value === "" ? undefined : value), schema);

const url = (protocols: string[]) =>
  z.string().refine(
    (value) => {
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    },
    `must be a ${protocols.join(" or ")}// URL`,
  );

const envSchema = z.object({
  DATABASE_URL: optional(
    url(["postgresql:", "postgres:"]).default("postgresql://postgres@127.0.0.1:5432/tokenmeter"),
  ),
  /** A read replica for reports and the dashboard; writes, admin changes and key lookups stay on DATABASE_URL. */
  DATABASE_READ_URL: optional(url(["postgresql:", "postgres:"]).optional()),
  /** Pool sizes: writes and key lookups, buyer and seller reports, heavy admin reports, the dashboard. */
  DB_POOL_MAX: optional(z.coerce.number().int().min(1).max(200).default(5)),
  DB_READ_POOL_MAX: optional(z.coerce.number().int().min(1).max(200).default(8)),
  DB_HEAVY_POOL_MAX: optional(z.coerce.number().int().min(1).max(50).default(2)),
  DB_DASHBOARD_POOL_MAX: optional(z.coerce.number().int().min(1).max(50).default(2)),
  DB_CONNECT_TIMEOUT_MS: optional(z.coerce.number().int().min(100).max(60_000).default(5000)),
  /** statement_timeout per route class; a route past it answers 503 query_timeout. */
  READ_QUERY_TIMEOUT_MS: optional(z.coerce.number().int().min(1).max(600_000).default(5000)),
  HEAVY_QUERY_TIMEOUT_MS: optional(z.coerce.number().int().min(1).max(600_000).default(15_000)),
  DASHBOARD_QUERY_TIMEOUT_MS: optional(z.coerce.number().int().min(1).max(600_000).default(10_000)),
  /** How long a rendered dashboard is reused (0: never). */
  DASHBOARD_CACHE_MS: optional(z.coerce.number().int().min(0).max(600_000).default(5000)),
  REDIS_URL: optional(url(["redis:", "rediss:"]).default("redis://127.0.0.1:6379")),
  API_PORT: optional(z.coerce.number().int().min(0).max(65535).default(8081)),
  // Bound to loopback by default: the admin API and Bull Board must not be exposed by accident.
  HOST: optional(z.string().min(1).default("127.0.0.1")),
  ADMIN_TOKEN: optional(z.string({ error: "is required" }).min(16, "must be at least 16 characters")),
  /** Seals sellers' upstream headers (AES-256-GCM): 32-byte base64 keys, comma-separated, the first sealing. */
  SECRETS_KEY: optional(secretsKeyringEnvSchema),
  /** Private, loopback and link-local upstreams are refused unless allowed: `true`, or a list of hosts. */
  ALLOW_PRIVATE_UPSTREAMS: z.string().optional().transform(parsePrivateUpstreams),
  QUEUE_PREFIX: optional(z.string().min(1).default(DEFAULT_QUEUE_PREFIX)),
  LOG_LEVEL: optional(z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info")),
});

/** The control plane's configuration, parsed from environment variables. */
export type Env = z.infer<typeof envSchema>;

/** Raised when an environment variable is missing or malformed; the message names the variable. */
export class EnvError extends Error {
  override readonly name = "EnvError";
}

/** Parses the configuration once at start-up; throws an EnvError naming every bad variable. */
export function parseEnv(source: Record<string, string | undefined> = process.env): Env {
  const result = envSchema.safeParse(source);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
  throw new EnvError(`invalid environment: ${problems.join("; ")}`);
}
