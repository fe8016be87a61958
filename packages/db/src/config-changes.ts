import { type PgPool, queryRows, type RawQueryClient } from "@tokenmeter/pg";
import pg from "pg";
import type { LedgerTx } from "./ledger-corrections.js";

/** The PostgreSQL NOTIFY channel on which configuration changes are announced to workers. */
export const CONFIG_CHANNEL = "tokenmeter_config";

/** What changed: model prices, operators' usage rules, or API services' metering settings. */
export type ConfigTopic = "prices" | "rules" | "services";

const TOPICS: readonly ConfigTopic[] = ["prices", "rules", "services"];

/** Each topic's change counter, as `notifyConfigChange` leaves it. */
export type ConfigVersions = ReadonlyMap<ConfigTopic, bigint>;

/**
 * Records and announces a change. Run it in the transaction that makes the change: the topic's counter is
 * bumped with it, and PostgreSQL delivers a NOTIFY only when its transaction commits, so no worker can hear of
 * a price it cannot read yet. The counter is what makes the change apply to the very next call: a worker
 * compares the counters before metering a batch (`readConfigVersions`), since the announcement may arrive
 * after a call that was made once the change had committed. Returns the topic's new counter.
 */
export async function notifyConfigChange(tx: LedgerTx, topic: ConfigTopic): Promise<bigint> {
  const [row] = await tx.$queryRawUnsafe<{ version: bigint }[]>(
    `WITH bumped AS (
       INSERT INTO config_versions (topic, version) VALUES ($2, 1)
       ON CONFLICT (topic) DO UPDATE SET version = config_versions.version + 1
       RETURNING version)
     SELECT b.version FROM bumped b CROSS JOIN LATERAL (SELECT pg_notify($1, $2 || ':' || b.version)) notified`,
    CONFIG_CHANNEL,
    topic,
  );
  return row?.version ?? 0n;
}

/**
 * The change counters, as committed now (a topic never changed reads 0). Read before every batch the worker
 * meters: through its node-postgres pool it costs a fraction of a Prisma query.
 */
export async function readConfigVersions(db: RawQueryClient | PgPool): Promise<ConfigVersions> {
  const versions = new Map<ConfigTopic, bigint>(TOPICS.map((t) => [t, 0n]));
  const rows = await queryRows<{ topic: string; version: string | bigint }>(
    db,
    "SELECT topic, version FROM config_versions",
    [],
  );
  for (const row of rows) {
    const topic = TOPICS.find((t) => t === row.topic);
    if (topic) versions.set(topic, BigInt(row.version));
  }
  return versions;
}

/** A NOTIFY payload: `topic:version` (a bare topic from older control planes; anything else means "all"). */
export function parseConfigNotice(payload: string | undefined): {
  topic: ConfigTopic | "all";
  version?: bigint;
} {
  const match = /^(\w+)(?::(\d{1,19}))?$/.exec(payload ?? "");
  const topic = TOPICS.find((t) => t === match?.[1]);
  if (!match || !topic) return { topic: "all" };
  return match[2] === undefined ? { topic } : { topic, version: BigInt(match[2]) };
}

/** Options of a configuration listener. */
export interface ConfigListenerOptions {
  databaseUrl: string;
  /**
   * Called with the topic of every change and the counter it set; "all" (no counter) after (re)connecting,
   * since changes may have been missed.
   */
  onChange: (topic: ConfigTopic | "all", version?: bigint) => void;
  onError?: (error: Error) => void;
  /** First delay before reconnecting; doubles up to 30 s. */
  retryMs?: number;
}

/** A running listener. */
export interface ConfigListener {
  /** Resolves once LISTEN is active for the first time. */
  ready: Promise<void>;
  close(): Promise<void>;
}

/**
 * LISTENs for configuration changes on a dedicated connection (a pooled one would be handed to other queries
 * and lose the subscription). Reconnects with backoff after any error, and reports "all" on every (re)connect.
 */
export function listenForConfigChanges(options: ConfigListenerOptions): ConfigListener {
  let client: pg.Client | null = null;
  let closed = false;
  let timer: NodeJS.Timeout | null = null;
  let delay = options.retryMs ?? 500;
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });

  const schedule = () => {
    if (closed || timer) return;
    timer = setTimeout(() => {
      timer = null;
      void connect();
    }, delay);
    timer.unref();
    delay = Math.min(delay * 2, 30_000);
  };

  const connect = async () => {
    const c = new pg.Client({ connectionString: options.databaseUrl, connectionTimeoutMillis: 5000 });
    client = c;
    let failed = false;
    const fail = (error: Error) => {
      if (failed) return;
      failed = true;
      options.onError?.(error);
      c.removeAllListeners("notification");
      c.end().catch(() => {});
      if (client === c) client = null;
      schedule();
    };
    c.on("error", fail);
    c.on("end", () => {
      if (!closed) fail(new Error("configuration listener connection ended"));
    });
    c.on("notification", (message) => {
      const { topic, version } = parseConfigNotice(message.payload);
      options.onChange(topic, version);
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${CONFIG_CHANNEL}`);
    } catch (error) {
      fail(error as Error);
      return;
    }
    if (closed) {
      await c.end().catch(() => {});
      return;
    }
    delay = options.retryMs ?? 500;
    options.onChange("all");
    markReady();
  };

  void connect();
  return {
    ready,
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      const c = client;
      client = null;
      if (c) await c.end().catch(() => {});
    },
  };
}
