/**
 * How the queue's Redis keeps accepted jobs across its own restart: `aof` (append-only file: with
 * `appendfsync everysec` at most about a second is lost on a crash), `rdb` (snapshots only: everything since the
 * last one is lost), `none` (a restart loses every queued capture not also held by a proxy's journal), or
 * `unknown` (CONFIG is disabled, as on many managed services).
 */
export type RedisPersistence = "aof" | "rdb" | "none" | "unknown";

/** The one ioredis method this needs (kept structural so the package does not depend on ioredis). */
export interface RedisCommandClient {
  call(command: string, ...args: string[]): Promise<unknown>;
}

const configValue = async (redis: RedisCommandClient, name: string): Promise<string> => {
  const reply = (await redis.call("CONFIG", "GET", name)) as unknown;
  return Array.isArray(reply) && typeof reply[1] === "string" ? reply[1] : "";
};

/** Asks Redis how it persists; never throws (a refused or failing CONFIG GET is `unknown`). */
export async function redisPersistence(redis: RedisCommandClient): Promise<RedisPersistence> {
  try {
    if ((await configValue(redis, "appendonly")) === "yes") return "aof";
    return (await configValue(redis, "save")).trim() === "" ? "none" : "rdb";
  } catch {
    return "unknown";
  }
}

/** A warning to log at start, or null when Redis persists with an append-only file. */
export function redisPersistenceWarning(mode: RedisPersistence): string | null {
  switch (mode) {
    case "aof":
      return null;
    case "rdb":
      return "Redis persists only snapshots (appendonly no): a Redis crash loses jobs accepted since the last one; run it with --appendonly yes --appendfsync everysec";
    case "none":
      return "Redis has no persistence (appendonly no, no snapshots): a Redis restart loses every queued capture not still in a proxy's journal; run it with --appendonly yes --appendfsync everysec";
    case "unknown":
      return "cannot read Redis's persistence settings (CONFIG GET refused): make sure it runs with appendonly yes";
  }
}
