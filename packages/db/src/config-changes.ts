import pg from "pg";
import type { LedgerTx } from "./ledger-corrections.js";

/** The PostgreSQL NOTIFY channel on which configuration changes are announced to workers. */
export const CONFIG_CHANNEL = "tokenmeter_config";

/** What changed: model prices, operators' usage rules, or API services' metering settings. */
export type ConfigTopic = "prices" | "rules" | "services";

const TOPICS: readonly ConfigTopic[] = ["prices", "rules", "services"];

/**
 * Announces a change. Run it in the transaction that makes the change: PostgreSQL delivers a NOTIFY only
 * when its transaction commits, so no worker can hear of a price it cannot read yet.
 */
export async function notifyConfigChange(tx: LedgerTx, topic: ConfigTopic): Promise<void> {
  await tx.$executeRawUnsafe("SELECT pg_notify($1, $2)", CONFIG_CHANNEL, topic);
}

/** Options of a configuration listener. */
export interface ConfigListenerOptions {
  databaseUrl: string;
  /** Called with the topic of every change; "all" after (re)connecting, since changes may have been missed. */
  onChange: (topic: ConfigTopic | "all") => void;
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
      const topic = TOPICS.find((t) => t === message.payload);
      options.onChange(topic ?? "all");
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
