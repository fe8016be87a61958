import { randomBytes, randomUUID } from "node:crypto";
import os from "node:os";
import path from "node:path";
import { createDbClient, type DbClient } from "@tokenmeter/db";
import { type FakeUpstream, startFakeUpstream } from "@tokenmeter/fake-upstream";
import { type RunningApp, startApp } from "@tokenmeter/test-support";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";

// After a run of ordinary and hostile calls through the three built apps, no secret is anywhere it should not be:
// not in the database (every table, every row), not in Redis (every key of the run's queue prefix), not in any
// line any app logged (at debug level), not in any answer a buyer got.
let upstream: FakeUpstream;
let apps: RunningApp[] = [];
let db: DbClient;
let redis: Redis;
const tag = randomUUID().slice(0, 8);
const prefix = `${inject("queuePrefix")}:sec${tag}`;
const adminToken = `adm_${randomBytes(16).toString("hex")}`;
const sellerSecrets = [
  `sk-seller-${randomBytes(12).toString("hex")}`,
  `org-secret-${randomBytes(12).toString("hex")}`,
];
const buyerKeys: string[] = [];
const answers: string[] = [];

beforeAll(async () => {
  upstream = await startFakeUpstream();
  const env = {
    DATABASE_URL: inject("databaseUrl"),
    REDIS_URL: inject("redisUrl"),
    QUEUE_PREFIX: prefix,
    ADMIN_TOKEN: adminToken,
    CAPTURE_SIGNING_KEY: inject("captureSigningKey"),
    SECRETS_KEY: inject("secretsKey"),
    ALLOW_PRIVATE_UPSTREAMS: "true",
    PROXY_PORT: "0",
    API_PORT: "0",
    WORKER_PORT: "0",
    HOST: "127.0.0.1",
    LOG_LEVEL: "debug",
    SPOOL_DIR: path.join(os.tmpdir(), `tm-sec-spool-${tag}`),
  };
  apps = await Promise.all([startApp("proxy", env), startApp("worker", env), startApp("control-plane", env)]);
  db = createDbClient({ databaseUrl: inject("databaseUrl") });
  redis = new Redis(inject("redisUrl"), { maxRetriesPerRequest: 2 });
}, 120_000);

afterAll(async () => {
  await Promise.all(apps.map((a) => a.stop()));
  await upstream?.close();
  await db?.$disconnect();
  redis?.disconnect();
});

const [proxy, , control] = [() => apps[0]!, () => apps[1]!, () => apps[2]!];

async function admin(method: string, url: string, body?: unknown) {
  const res = await fetch(`${control().url}${url}`, {
    method,
    headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  answers.push(text);
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

async function dumpDatabase(): Promise<string> {
  const tables = await db.$queryRawUnsafe<{ tablename: string }[]>(
    "SELECT tablename::text AS tablename FROM pg_tables WHERE schemaname = 'public'",
  );
  const parts: string[] = [];
  for (const { tablename } of tables) {
    const rows = await db.$queryRawUnsafe<{ row: string }[]>(`SELECT t::text AS row FROM "${tablename}" t`);
    for (const r of rows) parts.push(r.row);
  }
  return parts.join("\n");
}

async function dumpRedis(): Promise<string> {
  const parts: string[] = [];
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", "500");
    cursor = next;
    for (const key of keys) {
      parts.push(key);
      const type = await redis.type(key);
      if (type === "string") parts.push((await redis.get(key)) ?? "");
      else if (type === "hash") parts.push(JSON.stringify(await redis.hgetall(key)));
      else if (type === "list") parts.push(JSON.stringify(await redis.lrange(key, "0", "-1")));
      else if (type === "set") parts.push(JSON.stringify(await redis.smembers(key)));
      else if (type === "zset") parts.push(JSON.stringify(await redis.zrange(key, "0", "-1")));
      else if (type === "stream") parts.push(JSON.stringify(await redis.xrange(key, "-", "+")));
    }
  } while (cursor !== "0");
  return parts.join("\n");
}

describe("secrets", () => {
  it("never appear in the database, Redis, logs or answers after an end-to-end run", async () => {
    const slug = `sec-${tag}`;
    const created = await admin("POST", "/admin/api-services", {
      name: "Secret-bearing service",
      slug,
      upstream_url: upstream.url,
      upstream_headers: { authorization: `Bearer ${sellerSecrets[0]}`, "x-org": sellerSecrets[1] },
    });
    expect(created.status).toBe(201);
    const buyer = await admin("POST", "/admin/buyers", { name: `secrets ${tag}` });
    for (let i = 0; i < 2; i++) {
      const key = await admin("POST", `/admin/buyers/${buyer.body.id}/api-keys`, {});
      buyerKeys.push(key.body.key);
    }
    // The key is shown once: that answer is the only place it may appear.
    answers.length = 0;
    const [k1, k2] = buyerKeys as [string, string];
    const base = `${proxy().url}/${slug}`;
    const calls: Array<[string, RequestInit]> = [
      [
        `${base}/v1/chat/completions`,
        { method: "POST", headers: { authorization: `Bearer ${k1}` }, body: '{"model":"gpt-4"}' },
      ],
      [
        `${base}/v1/chat/completions`,
        {
          method: "POST",
          headers: { "x-api-key": k2 },
          body: '{"model":"gpt-4","stream":true,"stream_options":{"include_usage":true}}',
        },
      ],
      [
        `${base}/v1/messages`,
        { method: "POST", headers: { "x-api-key": k1 }, body: '{"model":"claude-3-haiku-20240307"}' },
      ],
      [
        `${base}/v1beta/models/gemini-1.5-pro:generateContent?key=${k2}`,
        { method: "POST", body: '{"contents":[{"parts":[{"text":"hi"}]}]}' },
      ],
      [
        `${base}/v1/chat/completions`,
        {
          method: "POST",
          headers: { authorization: `Bearer ${k1}`, "x-fake-behavior": "error:500" },
          body: "{}",
        },
      ],
      [`${base}/v1/a%5c..%5cadmin`, { method: "GET", headers: { authorization: `Bearer ${k1}` } }],
      [
        `${base}/v1/chat/completions`,
        { method: "POST", headers: { "x-goog-api-key": k2 }, body: "not json" },
      ],
    ];
    const ids: string[] = [];
    for (const [url, init] of calls) {
      const res = await fetch(url, init);
      answers.push(JSON.stringify([...res.headers]), await res.text());
      const id = res.headers.get("x-request-id");
      expect(id, url).toBeTruthy();
      ids.push(id as string);
    }
    const until = Date.now() + 20_000;
    while ((await db.usageLog.count({ where: { requestId: { in: ids } } })) < ids.length) {
      if (Date.now() > until) throw new Error("rows did not arrive");
      await new Promise((r) => setTimeout(r, 100));
    }

    const secrets = [
      ...sellerSecrets,
      ...buyerKeys,
      adminToken,
      inject("secretsKey"),
      inject("captureSigningKey"),
    ];
    const places: Record<string, string> = {
      database: await dumpDatabase(),
      redis: await dumpRedis(),
      "proxy logs": apps[0]!.logs.join("\n"),
      "worker logs": apps[1]!.logs.join("\n"),
      "control-plane logs": apps[2]!.logs.join("\n"),
      "answers to the buyer": answers.join("\n"),
    };
    expect(places.redis?.length).toBeGreaterThan(0);
    expect(places["proxy logs"]?.length).toBeGreaterThan(0);
    for (const [where, text] of Object.entries(places)) {
      for (const secret of secrets) expect(text.includes(secret), `${where} holds a secret`).toBe(false);
    }
    // The seller's credentials did reach the upstream, as they must.
    expect(upstream.received.some((r) => r.headers.authorization === `Bearer ${sellerSecrets[0]}`)).toBe(
      true,
    );
  }, 120_000);
});
