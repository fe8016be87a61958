import { DEFAULT_QUEUE_PREFIX } from "@tokenmeter/capture";
import { type EnvSource, envVar, parseEnv as parseRuntimeEnv, unsetIfEmpty } from "@tokenmeter/runtime";
import { secretsKeyringEnvSchema } from "@tokenmeter/secrets";
import { z } from "zod";
import { parsePrivateUpstreams } from "./services/upstream-url.js";

const envSchema = z.object({
  DATABASE_URL: envVar.url("postgresql://postgres@127.0.0.1:5432/tokenmeter", ["postgresql:", "postgres:"]),
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
