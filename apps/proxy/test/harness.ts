import { randomUUID } from "node:crypto";
import os from "node:os";
import path from "node:path";
import { CAPTURE_QUEUE_NAME, type Capture, openCaptureBatch, parseSigningKeys } from "@tokenmeter/capture";
import { createDbClient, type DbClient } from "@tokenmeter/db";
import { type FakeUpstream, startFakeUpstream } from "@tokenmeter/fake-upstream";
import { generateApiKey } from "@tokenmeter/keys";
import { parseSecretsKeyring, sealHeaders } from "@tokenmeter/secrets";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { pino } from "pino";
import { inject } from "vitest";
import { parseProxyEnv } from "../src/env.js";
import { type ProxyApp, startProxyApp } from "../src/proxy-app.js";

/** A proxy on an ephemeral port in front of a fake upstream, with a buyer, a key and a service. */
export interface ProxyHarness {
  proxy: ProxyApp;
  upstream: FakeUpstream;
  db: DbClient;
  queue: Queue;
  key: string;
  keyId: number;
  buyerId: number;
  serviceId: number;
  slug: string;
  base: string;
  /** Captures enqueued so far (read back from Redis). */
  captures(): Promise<Capture[]>;
  close(): Promise<void>;
}

/** Starts the harness; `env` overrides the proxy's environment. */
export async function startProxyHarness(env: Record<string, string> = {}): Promise<ProxyHarness> {
  const databaseUrl = inject("databaseUrl");
  const redisUrl = env.REDIS_URL ?? inject("redisUrl");
  const prefix = `${inject("queuePrefix")}:${randomUUID().slice(0, 8)}`;
  const upstream = await startFakeUpstream();
  const db = createDbClient({ databaseUrl });
  const buyer = await db.buyer.create({ data: { name: "proxy-test buyer" } });
  const k = generateApiKey();
  const key = await db.apiKey.create({ data: { buyerId: buyer.id, keyHash: k.hash, prefix: k.prefix } });
  const slug = `svc-${randomUUID().slice(0, 8)}`;
  const service = await db.apiService.create({
    data: {
      name: "Fake OpenAI",
      slug,
      upstreamUrl: upstream.url,
      ...sealedHeaders(slug, { authorization: "Bearer sk-seller-secret", "x-seller-org": "org-42" }),
    },
  });
  const proxyEnv = parseProxyEnv({
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    PROXY_PORT: "0",
    HOST: "127.0.0.1",
    QUEUE_PREFIX: prefix,
    CAPTURE_SIGNING_KEY: inject("captureSigningKey"),
    SECRETS_KEY: inject("secretsKey"),
    LOG_LEVEL: "silent",
    SPOOL_DIR: path.join(os.tmpdir(), `tm-spool-${randomUUID()}`),
    ENQUEUE_INTERVAL_MS: "10",
    // A first lookup waits on the shared database, which other test files keep busy: the production 2 s
    // would turn a slow moment into a 503.
    LOOKUP_TIMEOUT_MS: "15000",
    ...env,
  });
  const proxy = await startProxyApp(proxyEnv, pino({ level: "silent" }));
  const queueRedis = new Redis(redisUrl, { maxRetriesPerRequest: null });
  queueRedis.on("error", () => undefined); // outage tests stop this Redis on purpose
  const queue = new Queue(CAPTURE_QUEUE_NAME, { connection: queueRedis, prefix });
  queue.on("error", () => undefined);
  const keys = parseSigningKeys(inject("captureSigningKey"));
  return {
    proxy,
    upstream,
    db,
    queue,
    key: k.key,
    keyId: Number(key.id),
    buyerId: Number(buyer.id),
    serviceId: Number(service.id),
    slug,
    base: `http://127.0.0.1:${proxy.port}`,
    async captures() {
      const jobs = await queue.getJobs(["waiting", "prioritized", "delayed", "active", "completed"]);
      return jobs.flatMap((j) => {
        const batch = openCaptureBatch(j.data, keys);
        if (!batch.ok) throw new Error(`the proxy enqueued a batch that does not verify: ${batch.detail}`);
        return batch.captures as Capture[];
      });
    },
    async close() {
      await proxy.close(100);
      await queue.obliterate({ force: true }).catch(() => undefined);
      await queue.close();
      queueRedis.disconnect();
      await upstream.close();
      await db.$disconnect();
    },
  };
}

/** Upstream header columns as the control plane writes them: sealed with the test run's SECRETS_KEY. */
export function sealedHeaders(slug: string, headers: Record<string, string>) {
  return { upstreamHeadersSealed: sealHeaders(headers, parseSecretsKeyring(inject("secretsKey")), slug) };
}

/** Polls until `fn` returns a value that is not undefined, or throws after `ms` (a deadline for a loaded machine). */
export async function waitFor<T>(fn: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 20));
  }
}
