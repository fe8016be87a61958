// Reachability checks for PostgreSQL and Redis with messages a person can act on (no stack traces).
import net from "node:net";

export const DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/tokenmeter";
export const DEFAULT_REDIS_URL = "redis://127.0.0.1:6379";

function redact(url) {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(unparseable URL)";
  }
}

/** Resolves true when a TCP connection to host:port opens within `ms`. */
function tcpOpen(host, port, ms = 2000) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(ms, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

/** Checks PostgreSQL by connecting to its maintenance database. Returns an error message or null. */
async function checkPostgres(databaseUrl) {
  const { default: pg } = await import("pg");
  const url = new URL(databaseUrl);
  url.pathname = "/postgres";
  const client = new pg.Client({ connectionString: url.toString(), connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query("SELECT 1");
    return null;
  } catch (error) {
    return [
      `PostgreSQL is not reachable at ${redact(databaseUrl)} (${error.code ?? error.message}).`,
      "  Start it with:  bash infra/start-local-services.sh",
      "  (or: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start;",
      "   with Docker: docker compose -f infra/docker-compose.yml up -d),",
      "  or point DATABASE_URL at a running server.",
    ].join("\n");
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Checks Redis with a PING. Returns an error message or null. */
async function checkRedis(redisUrl) {
  const url = new URL(redisUrl);
  const host = url.hostname || "127.0.0.1";
  const port = Number(url.port || 6379);
  const fail = (why) =>
    [
      `Redis is not reachable at ${redact(redisUrl)} (${why}).`,
      "  Start it with:  bash infra/start-local-services.sh",
      "  (or: redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --dir <a data folder> --appendonly yes --appendfsync everysec;",
      "   with Docker: docker compose -f infra/docker-compose.yml up -d),",
      "  or point REDIS_URL at a running server.",
    ].join("\n");
  if (!(await tcpOpen(host, port))) return fail("connection refused or timed out");
  const { Redis } = await import("ioredis");
  const redis = new Redis(redisUrl, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  redis.on("error", () => undefined);
  try {
    await redis.connect();
    await redis.ping();
    return null;
  } catch (error) {
    return fail(error.message);
  } finally {
    redis.disconnect();
  }
}

/** Checks both; prints what is wrong and exits 1 when either is unreachable. */
export async function requireServices(databaseUrl, redisUrl) {
  const problems = (await Promise.all([checkPostgres(databaseUrl), checkRedis(redisUrl)])).filter(Boolean);
  if (problems.length > 0) {
    for (const p of problems) console.error(`\n✖ ${p}`);
    console.error("");
    process.exit(1);
  }
}
