// Setup and teardown: a throwaway database and queue prefixes, seed rows, job counts, cleanup.
import { randomBytes } from "node:crypto";
import { CAPTURE_QUEUE_NAME } from "@tokenmeter/capture";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import pg from "pg";

export const DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/tokenmeter";
export const DEFAULT_REDIS_URL = "redis://127.0.0.1:6379";

/** A short random tag (lowercase, digits) shared by this run's database and queue prefixes. */
export function randomTag() {
  return randomBytes(5).toString("hex");
}

/** The server's URL with the database name replaced. */
export function withDatabase(databaseUrl, name) {
  const url = new URL(databaseUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Fails with an actionable message when PostgreSQL or Redis cannot be reached. */
export async function checkServices(databaseUrl, redisUrl) {
  const problems = [];
  const client = new pg.Client({
    connectionString: withDatabase(databaseUrl, "postgres"),
    connectionTimeoutMillis: 3000,
  });
  try {
    await client.connect();
    await client.query("SELECT 1");
  } catch (error) {
    problems.push(
      `PostgreSQL not reachable at ${new URL(databaseUrl).host} (${error.code ?? error.message})`,
    );
  } finally {
    await client.end().catch(() => undefined);
  }
  const redis = new Redis(redisUrl, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  redis.on("error", () => undefined);
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    problems.push(`Redis not reachable at ${new URL(redisUrl).host} (${error.message})`);
  } finally {
    redis.disconnect();
  }
  if (problems.length > 0) {
    throw new Error(`${problems.join("\n")}\n  start them with: bash infra/start-local-services.sh`);
  }
}

/** Inserts a buyer, a key (hash + prefix only) and two services: one for the proxy runs, one for the worker run. */
export async function seed(databaseUrl, { upstreamUrl, apiKey, slug }) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const buyer = await client.query("INSERT INTO buyers (name) VALUES ($1) RETURNING id", ["bench buyer"]);
    const buyerId = Number(buyer.rows[0].id);
    const key = await client.query(
      "INSERT INTO api_keys (buyer_id, key_hash, prefix, name) VALUES ($1, $2, $3, $4) RETURNING id",
      [buyerId, apiKey.hash, apiKey.prefix, "bench key"],
    );
    const keyId = Number(key.rows[0].id);
    const addService = async (name, s, url) =>
      Number(
        (
          await client.query(
            "INSERT INTO api_services (name, slug, upstream_url, upstream_headers) VALUES ($1, $2, $3, $4) RETURNING id",
            [name, s, url, JSON.stringify({ authorization: "Bearer sk-bench-seller-credential" })],
          )
        ).rows[0].id,
      );
    const serviceId = await addService("bench service", slug, upstreamUrl);
    const workerServiceId = await addService("bench worker service", `${slug}-w`, "http://127.0.0.1:9");
    return { buyerId, keyId, serviceId, workerServiceId };
  } finally {
    await client.end();
  }
}

/** A pg client on the bench database, for counts. */
export async function dbClient(databaseUrl) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  return client;
}

/** Opens the capture queue under a prefix (the bench's own Redis connection). */
export function captureQueue(redisUrl, prefix) {
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  connection.on("error", () => undefined);
  const queue = new Queue(CAPTURE_QUEUE_NAME, { connection, prefix });
  queue.on("error", () => undefined);
  return {
    queue,
    async close() {
      await queue.close().catch(() => undefined);
      connection.disconnect();
    },
  };
}

/** Sum of BullMQ job counts over every state. */
export function totalJobs(counts) {
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

/** Captures held by a queue's jobs (a proxy job carries a signed batch of captures as a JSON payload). */
export async function countCaptures(queue) {
  const states = ["waiting", "active", "delayed", "prioritized", "completed", "failed"];
  let captures = 0;
  for (let start = 0; ; start += 200) {
    const jobs = await queue.getJobs(states, start, start + 199);
    for (const job of jobs) if (job?.data?.payload) captures += JSON.parse(job.data.payload).length;
    if (jobs.length < 200) break;
  }
  return captures;
}

/** Polls job counts until the total stops changing for `quietMs` (the proxy's sink flushes every 50 ms). */
export async function settledJobCounts(queue, { quietMs = 600, timeoutMs = 15_000, atLeast = 0 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last = -1;
  let since = Date.now();
  let counts = {};
  while (Date.now() < deadline) {
    counts = await queue.getJobCounts();
    const total = totalJobs(counts);
    if (total !== last) {
      last = total;
      since = Date.now();
    } else if (Date.now() - since >= quietMs && total >= atLeast) {
      break;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return counts;
}

/** Removes every key of the bench's queues: obliterate, then a SCAN sweep of the unique prefixes. */
export async function removeQueues(redisUrl, prefixes) {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 2 });
  redis.on("error", () => undefined);
  let removed = 0;
  try {
    for (const prefix of prefixes) {
      const queue = new Queue(CAPTURE_QUEUE_NAME, { connection: redis, prefix });
      queue.on("error", () => undefined);
      await queue.obliterate({ force: true }).catch(() => undefined);
      await queue.close().catch(() => undefined);
      let cursor = "0";
      do {
        const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
        cursor = next;
        if (keys.length > 0) removed += await redis.unlink(...keys);
      } while (cursor !== "0");
    }
  } finally {
    redis.disconnect();
  }
  return removed;
}
