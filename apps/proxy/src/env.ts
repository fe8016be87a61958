import os from "node:os";
import path from "node:path";
import { DEFAULT_QUEUE_PREFIX, signingKeysEnvSchema } from "@tokenmeter/capture";
import { secretsKeyringEnvSchema } from "@tokenmeter/secrets";
import { z } from "zod";

const emptyAsUnset = (v: unknown) => (v === "" ? undefined : v);
const int = (fallback: number, min = 0) =>
  z.preprocess(emptyAsUnset, z.coerce.number().int().min(min).default(fallback));

const schema = z.object({
  DATABASE_URL: z.preprocess(
    emptyAsUnset,
    z.url().default("postgresql://postgres@127.0.0.1:5432/tokenmeter"),
  ),
  REDIS_URL: z.preprocess(emptyAsUnset, z.url().default("redis://127.0.0.1:6379")),
  PROXY_PORT: z.preprocess(emptyAsUnset, z.coerce.number().int().min(0).max(65535).default(8080)),
  HOST: z.preprocess(emptyAsUnset, z.string().default("0.0.0.0")),
  /**
   * Secret(s) the proxy signs capture batches with (HMAC-SHA256), comma-separated, the first one signing; the
   * worker must list the same. No default: it is a secret (`npm start` generates one for development).
   */
  CAPTURE_SIGNING_KEY: z.preprocess(emptyAsUnset, signingKeysEnvSchema),
  /** Opens sellers' sealed upstream headers: the control plane's SECRETS_KEY (32-byte base64 keys, comma-separated). */
  SECRETS_KEY: z.preprocess(emptyAsUnset, secretsKeyringEnvSchema),
  QUEUE_PREFIX: z.preprocess(emptyAsUnset, z.string().min(1).default(DEFAULT_QUEUE_PREFIX)),
  LOG_LEVEL: z.preprocess(
    emptyAsUnset,
    z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  ),
  /** Largest request body accepted (413 above it). */
  MAX_REQUEST_BYTES: int(32 * 1024 * 1024, 1),
  /** Bytes kept from the head, and again from the tail, of each body. */
  CAPTURE_MAX_BYTES: int(128 * 1024, 1024),
  /** Time allowed to open the upstream connection (TCP and TLS). */
  UPSTREAM_CONNECT_TIMEOUT_MS: int(10_000, 1),
  /** Longest silence allowed on the upstream socket once connected (long streams stay open while data flows). */
  UPSTREAM_IDLE_TIMEOUT_MS: int(300_000, 1),
  /** Longest silence allowed while the buyer's request body arrives (408 and a row after it). */
  REQUEST_BODY_TIMEOUT_MS: int(30_000, 1),
  /** How long a key or service lookup is trusted. Revocation takes effect within this time. */
  KEY_CACHE_TTL_MS: int(15_000, 0),
  /** Where captures go while Redis is unreachable. */
  SPOOL_DIR: z.preprocess(emptyAsUnset, z.string().default(path.join(os.tmpdir(), "tokenmeter-spool"))),
  /** Spool bound; when full, further captures are dropped and counted. */
  SPOOL_MAX_BYTES: int(1024 * 1024 * 1024, 1024),
  /** Captures are sent to Redis in batches at this interval. */
  ENQUEUE_INTERVAL_MS: int(50, 1),
});

/** The proxy's configuration. */
export type ProxyEnv = Readonly<z.infer<typeof schema>>;

/** Parses the proxy's environment once; throws a message naming each bad variable. */
export function parseProxyEnv(source: Record<string, string | undefined> = process.env): ProxyEnv {
  const parsed = schema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new Error(`invalid proxy configuration:\n${lines.join("\n")}`);
  }
  return Object.freeze(parsed.data);
}
