import os from "node:os";
import path from "node:path";
import { DEFAULT_QUEUE_PREFIX, signingKeysEnvSchema } from "@tokenmeter/capture";
import { type EnvSource, envVar, parseEnv, unsetIfEmpty } from "@tokenmeter/runtime";
import { secretsKeyringEnvSchema } from "@tokenmeter/secrets";
import { z } from "zod";

const int = (fallback: number, min = 0) => envVar.int(fallback, min);

const schema = z.object({
  DATABASE_URL: envVar.url("postgresql://postgres@127.0.0.1:5432/tokenmeter", ["postgresql:", "postgres:"]),
  REDIS_URL: envVar.url("redis://127.0.0.1:6379", ["redis:", "rediss:"]),
  PROXY_PORT: envVar.port(8080),
  HOST: envVar.string("0.0.0.0"),
  /**
   * Processes serving the one port (node:cluster: a primary supervises them). Each has its own capture buffer
   * and journal slot. Default: one per CPU; 1 runs a single process without a primary, as before.
   */
  PROXY_WORKERS: envVar.int(os.availableParallelism(), 1, 256),
  /**
   * Secret(s) the proxy signs capture batches with (HMAC-SHA256), comma-separated, the first one signing; the
   * worker must list the same. No default: it is a secret (`npm start` generates one for development).
   */
  CAPTURE_SIGNING_KEY: unsetIfEmpty(signingKeysEnvSchema),
  /** Opens sellers' sealed upstream headers: the control plane's SECRETS_KEY (32-byte base64 keys, comma-separated). */
  SECRETS_KEY: unsetIfEmpty(secretsKeyringEnvSchema),
  QUEUE_PREFIX: envVar.string(DEFAULT_QUEUE_PREFIX),
  LOG_LEVEL: envVar.logLevel(),
  /** Largest request body accepted (413 above it). */
  MAX_REQUEST_BYTES: int(32 * 1024 * 1024, 1),
  /** Bytes kept from the head, and again from the tail, of each request body and each streamed answer. */
  CAPTURE_MAX_BYTES: int(128 * 1024, 1024),
  /**
   * The same for an answer that is not a stream (JSON): its usage and model sit in its last and first few
   * KiB, so a smaller capture meters it alike and costs a big answer far less. Capped by CAPTURE_MAX_BYTES.
   */
  CAPTURE_JSON_MAX_BYTES: int(32 * 1024, 1024),
  /** Time allowed to open the upstream connection (TCP and TLS). */
  UPSTREAM_CONNECT_TIMEOUT_MS: int(10_000, 1),
  /** Longest silence allowed on the upstream socket once connected (long streams stay open while data flows). */
  UPSTREAM_IDLE_TIMEOUT_MS: int(300_000, 1),
  /** Longest silence allowed while the buyer's request body arrives (408 and a row after it). */
  REQUEST_BODY_TIMEOUT_MS: int(30_000, 1),
  /** How long a key or service lookup is trusted. Revocation takes effect within this time. */
  KEY_CACHE_TTL_MS: int(15_000, 0),
  /**
   * Longest a key or service lookup waits on PostgreSQL when nothing is cached (503 auth_unavailable after it;
   * a stale entry is served instead when there is one).
   */
  LOOKUP_TIMEOUT_MS: int(2000, 1),
  /** The capture journal's root; each proxy process owns a `proxy-<n>` directory in it. `SPOOL_DIR` is an alias. */
  JOURNAL_DIR: envVar.string(path.join(os.tmpdir(), "tokenmeter-journal")),
  /** Journal bound; past it captures are sent from memory only, and dropped (counted) while Redis is down. */
  JOURNAL_MAX_BYTES: int(4 * 1024 * 1024 * 1024, 1024),
  /** 0: no fsync (a kill loses nothing; a machine crash may lose what the kernel had not written). Else fsync every N ms. */
  JOURNAL_FSYNC_MS: int(0, 0),
  /** How often the proxy asks Redis which of its batches the worker has recorded. */
  JOURNAL_ACK_POLL_MS: int(500, 10),
  /** A batch unrecorded this long is checked; re-sent (same job id) if Redis no longer has it. */
  JOURNAL_RESEND_MS: int(10_000, 100),
  /** Segments read back and re-sent at once after an outage or a restart. */
  JOURNAL_REPLAY_CONCURRENCY: int(4, 1),
  /** A segment is sealed (and deleted once recorded) past this size or age. */
  JOURNAL_SEGMENT_BYTES: int(8 * 1024 * 1024, 1024),
  JOURNAL_SEGMENT_MS: int(1000, 10),
  /** Captures are sent to Redis in batches at this interval. */
  ENQUEUE_INTERVAL_MS: int(50, 1),
});

/** The proxy's configuration. */
export type ProxyEnv = Readonly<z.infer<typeof schema>>;

/** Parses the proxy's environment once into a frozen object; throws one error naming each bad variable. */
export function parseProxyEnv(source: EnvSource = process.env): ProxyEnv {
  // The journal replaced the disk spool: its settings are still honoured.
  return parseEnv("proxy", schema, {
    ...source,
    JOURNAL_DIR: source.JOURNAL_DIR || source.SPOOL_DIR,
    JOURNAL_MAX_BYTES: source.JOURNAL_MAX_BYTES || source.SPOOL_MAX_BYTES,
  });
}
