import { randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createDbClient } from "@tokenmeter/db";
import { type FakeUpstream, startFakeUpstream } from "@tokenmeter/fake-upstream";
import { generateApiKey } from "@tokenmeter/keys";
import {
  type PrivateRedis,
  type RunningApp,
  startApp,
  startPrivateRedis,
  startTcpRelay,
  type TcpRelay,
} from "@tokenmeter/test-support";
import pg from "pg";

/**
 * The services a fault run shares: a private, durable redis-server (AOF, everysec) in a temp folder, a TCP
 * relay in front of PostgreSQL (cut to simulate its outage; the shared server keeps running), a fake upstream,
 * and a direct PostgreSQL client for reconciliation. Apps are started per scenario, as built processes.
 */
export interface Stack {
  redis: PrivateRedis;
  relay: TcpRelay;
  upstream: FakeUpstream;
  db: pg.Client;
  /** DATABASE_URL through the relay, for the apps. */
  appDatabaseUrl: string;
  databaseUrl: string;
  close(): Promise<void>;
}

export async function startStack(databaseUrl: string): Promise<Stack> {
  const direct = new URL(databaseUrl);
  const redis = await startPrivateRedis({ appendonly: true });
  const relay = await startTcpRelay(Number(direct.port || 5432), direct.hostname);
  const viaRelay = new URL(databaseUrl);
  viaRelay.hostname = "127.0.0.1";
  viaRelay.port = String(relay.port);
  const upstream = await startFakeUpstream();
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  return {
    redis,
    relay,
    upstream,
    db,
    appDatabaseUrl: viaRelay.toString(),
    databaseUrl,
    async close() {
      await db.end();
      await upstream.close();
      await relay.close();
      await redis.stop("SIGKILL");
      if (redis.dir) fs.rmSync(redis.dir, { recursive: true, force: true });
    },
  };
}

/** One scenario's own buyer, key, service, queue prefix and journal folder, and the apps it runs. */
export class Scenario {
  readonly apps = new Set<RunningApp>();
  readonly journalDir = fs.mkdtempSync(path.join(os.tmpdir(), "tm-fault-journal-"));
  readonly env: Record<string, string>;
  proxy: RunningApp | null = null;

  private constructor(
    readonly stack: Stack,
    secrets: { captureSigningKey: string; secretsKey: string },
    readonly buyerId: number,
    readonly key: string,
    readonly slug: string,
  ) {
    this.env = {
      DATABASE_URL: stack.appDatabaseUrl,
      REDIS_URL: stack.redis.url,
      QUEUE_PREFIX: `{tmfault_${randomUUID().slice(0, 8)}}`,
      PROXY_PORT: "0",
      // One proxy process: a SIGKILL here must hit the process holding the journal (a clustered proxy's
      // workers would outlive their killed primary and drain cleanly; its own test is in e2e).
      PROXY_WORKERS: "1",
      WORKER_PORT: "0",
      HOST: "127.0.0.1",
      LOG_LEVEL: "info",
      JOURNAL_DIR: this.journalDir,
      JOURNAL_ACK_POLL_MS: "200",
      JOURNAL_RESEND_MS: "3000",
      // A killed worker's jobs are taken over after about this long.
      WORKER_LOCK_MS: "4000",
      // The production lookup timeout (the test helper that starts apps allows more for a first lookup).
      LOOKUP_TIMEOUT_MS: "2000",
      // The same key for proxy and worker: journal replays are signed like every batch.
      CAPTURE_SIGNING_KEY: secrets.captureSigningKey,
      SECRETS_KEY: secrets.secretsKey,
    };
  }

  static async create(
    stack: Stack,
    secrets: { captureSigningKey: string; secretsKey: string },
    env: Record<string, string> = {},
  ): Promise<Scenario> {
    const db = createDbClient({ databaseUrl: stack.databaseUrl });
    try {
      const buyer = await db.buyer.create({ data: { name: "fault-suite buyer" } });
      const k = generateApiKey();
      await db.apiKey.create({ data: { buyerId: buyer.id, keyHash: k.hash, prefix: k.prefix } });
      const slug = `fault-${randomUUID().slice(0, 8)}`;
      await db.apiService.create({ data: { name: "Fault upstream", slug, upstreamUrl: stack.upstream.url } });
      const scenario = new Scenario(stack, secrets, Number(buyer.id), k.key, slug);
      Object.assign(scenario.env, env);
      return scenario;
    } finally {
      await db.$disconnect();
    }
  }

  /** The URL the load calls (follows the proxy across restarts). */
  target(): string {
    return `${this.proxy?.url ?? "http://127.0.0.1:9"}/${this.slug}/bench`;
  }

  async startProxy(): Promise<RunningApp> {
    this.proxy = await this.start("proxy");
    return this.proxy;
  }

  async startWorker(): Promise<RunningApp> {
    return this.start("worker");
  }

  /** SIGKILL: no chance to flush, finish or clean up. */
  async kill(app: RunningApp): Promise<void> {
    const exited = new Promise((r) => app.child.once("exit", r));
    app.child.kill("SIGKILL");
    await exited;
    this.apps.delete(app);
  }

  /** Stops every app still running (SIGTERM) and removes the journal folder. */
  async close(): Promise<void> {
    await Promise.all([...this.apps].map((a) => a.stop()));
    this.apps.clear();
    fs.rmSync(this.journalDir, { recursive: true, force: true });
  }

  /** Log lines of every app at `level` or worse (pino levels: 50 error, 60 fatal). */
  logsAtLeast(level: number, apps: Iterable<RunningApp> = this.started): string[] {
    const out: string[] = [];
    for (const app of apps)
      for (const line of app.logs) {
        try {
          if ((JSON.parse(line) as { level?: number }).level! >= level) out.push(`${app.name}: ${line}`);
        } catch {
          // not JSON
        }
      }
    return out;
  }

  /** Log lines of every app that contain `text`. */
  logsMatching(text: string): string[] {
    return this.started.flatMap((a) => a.logs.filter((l) => l.includes(text)));
  }

  private readonly started: RunningApp[] = [];

  private async start(name: "proxy" | "worker"): Promise<RunningApp> {
    const app = await startApp(name, this.env);
    this.apps.add(app);
    this.started.push(app);
    return app;
  }
}
