import { DEFAULT_QUEUE_PREFIX, signingKeysEnvSchema } from "@tokenmeter/capture";
import { z } from "zod";

const emptyAsUnset = (v: unknown) => (v === "" ? undefined : v);
const port = (fallback: number) =>
  z.preprocess(emptyAsUnset, z.coerce.number().int().min(0).max(65535).default(fallback));
const positive = (fallback: number) =>
  z.preprocess(emptyAsUnset, z.coerce.number().int().positive().default(fallback));

const schema = z.object({
  DATABASE_URL: z.preprocess(
    emptyAsUnset,
    z.url().default("postgresql://postgres@127.0.0.1:5432/tokenmeter"),
  ),
  REDIS_URL: z.preprocess(emptyAsUnset, z.url().default("redis://127.0.0.1:6379")),
  WORKER_PORT: port(8082),
  HOST: z.preprocess(emptyAsUnset, z.string().default("127.0.0.1")),
  /** The proxies' capture signing secret(s), comma-separated: only batches signed with one of them are metered. */
  CAPTURE_SIGNING_KEY: z.preprocess(emptyAsUnset, signingKeysEnvSchema),
  QUEUE_PREFIX: z.preprocess(emptyAsUnset, z.string().min(1).default(DEFAULT_QUEUE_PREFIX)),
  LOG_LEVEL: z.preprocess(
    emptyAsUnset,
    z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  ),
  /** Jobs processed at once (a proxy's job carries up to 250 captures); rows are written in batches. */
  WORKER_CONCURRENCY: positive(64),
  /** Most rows in one INSERT. */
  BATCH_MAX_ROWS: positive(500),
  /** Longest a row waits for its batch to fill. */
  BATCH_MAX_WAIT_MS: positive(10),
  /** How long a job's lock lasts; a crashed worker's jobs are taken over after about this long. */
  WORKER_LOCK_MS: positive(30_000),
  /** How often prices and usage rules are reloaded (a change applies within this time). */
  PRICE_REFRESH_MS: positive(5000),
});

/** The worker's configuration. */
export type WorkerEnv = Readonly<z.infer<typeof schema>>;

/** Parses the worker's environment once; throws a message naming each bad variable. */
export function parseWorkerEnv(source: Record<string, string | undefined> = process.env): WorkerEnv {
  const parsed = schema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new Error(`invalid worker configuration:\n${lines.join("\n")}`);
  }
  return Object.freeze(parsed.data);
}
