import { randomBytes, randomUUID } from "node:crypto";
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { type AlertEvent, verifyAlertSignature } from "@tokenmeter/alerts";
import { createDbClient, type DbClient, dropDatabase, prepareDatabase, recordUsage } from "@tokenmeter/db";
import { type FakeUpstream, startFakeUpstream } from "@tokenmeter/fake-upstream";
import { type RunningApp, startApp } from "@tokenmeter/test-support";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";

// A cost spike and an unknown model driven through the real proxy; the worker's evaluator opens the alerts,
// the admin API lists them with evidence, and a local webhook receiver gets each alert exactly once, signed.
// Alerts are marketplace-wide, so this test runs on a database of its own.
const runTag = randomUUID().slice(0, 8);
const databaseUrl = (() => {
  const url = new URL(inject("databaseUrl"));
  url.pathname = `${url.pathname}_e2e_alerts_${runTag}`;
  return url.toString();
})();
const adminToken = `e2e_${randomBytes(16).toString("hex")}`;
const webhookSecret = `whsec_${randomBytes(16).toString("hex")}`;
let upstream: FakeUpstream;
let proxy: RunningApp;
let worker: RunningApp;
let control: RunningApp;
let db: DbClient;
let receiver: Server;
const received: Array<{ body: string; signature: string | undefined }> = [];
let buyerId = 0;
let buyerKey = "";
let slug = "";

async function admin(method: string, url: string, body?: unknown) {
  const res = await fetch(`${control.url}${url}`, {
    method,
    headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

beforeAll(async () => {
  await prepareDatabase(databaseUrl);
  receiver = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => {
      body += chunk;
    });
    req.on("end", () => {
      received.push({ body, signature: req.headers["x-tokenmeter-signature"] as string | undefined });
      res.statusCode = 204;
      res.end();
    });
  });
  receiver.listen(0, "127.0.0.1");
  await once(receiver, "listening");
  upstream = await startFakeUpstream();
  const env = {
    DATABASE_URL: databaseUrl,
    REDIS_URL: inject("redisUrl"),
    QUEUE_PREFIX: `${inject("queuePrefix")}:alerts${runTag}`,
    ADMIN_TOKEN: adminToken,
    CAPTURE_SIGNING_KEY: inject("captureSigningKey"),
    SECRETS_KEY: inject("secretsKey"),
    // The fake provider listens on loopback.
    ALLOW_PRIVATE_UPSTREAMS: "true",
    PROXY_PORT: "0",
    API_PORT: "0",
    WORKER_PORT: "0",
    HOST: "127.0.0.1",
    LOG_LEVEL: "info",
    KEY_CACHE_TTL_MS: "300",
    PRICE_REFRESH_MS: "200",
    ALERT_EVALUATE_MS: "250",
    ALERT_WEBHOOK_URL: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/tokenmeter`,
    ALERT_WEBHOOK_SECRET: webhookSecret,
    ALERT_WEBHOOK_BACKOFF_MS: "100",
    SPOOL_DIR: path.join(os.tmpdir(), `tm-e2e-alerts-spool-${runTag}`),
  };
  [proxy, worker, control] = await Promise.all([
    startApp("proxy", env),
    startApp("worker", env),
    startApp("control-plane", env),
  ]);
  db = createDbClient({ databaseUrl });

  slug = `alerts-${runTag}`;
  const service = await admin("POST", "/admin/api-services", {
    name: "Alerting Chat",
    slug,
    upstream_url: upstream.url,
    upstream_headers: { authorization: "Bearer sk-seller-secret" },
  });
  expect(service.status).toBe(201);
  const buyer = await admin("POST", "/admin/buyers", { name: `spiky ${runTag}` });
  buyerId = buyer.body.id;
  buyerKey = (await admin("POST", `/admin/buyers/${buyerId}/api-keys`, {})).body.key;
  // Only the two rules under test; thresholds low enough for a test's traffic.
  for (const kind of ["large_call", "parse_failure_rate", "metering_lag"]) {
    expect((await admin("PUT", `/admin/alert-rules/${kind}`, { enabled: false })).status).toBe(200);
  }
  await admin("PUT", "/admin/alert-rules/cost_spike", { params: { factor: 3, floor_usd: "1" } });
  await admin("PUT", "/admin/alert-rules/unpriced_model", { params: { window_minutes: 60 } });

  // A week of history at about $0.01 an hour: the baseline the spike is measured against.
  const history = Array.from({ length: 7 * 24 }, (_, h) => ({
    requestId: randomUUID(),
    buyerUserId: BigInt(buyerId),
    apiKeyId: 1n,
    apiServiceId: BigInt(service.body.id),
    requestTimestamp: new Date(Date.now() - (2 + h) * 3_600_000),
    httpMethod: "POST",
    path: "/v1/chat/completions",
    statusCode: 200,
    latencyMs: 10,
    ttfbMs: 5,
    streamed: false,
    upstreamReached: true,
    errorCode: null,
    modelName: "gpt-3.5-turbo",
    inputTokens: 4000,
    outputTokens: 2000,
    totalTokens: 6000,
    cachedInputTokens: 0,
    cacheWriteTokens: 0,
    cacheWrite1hTokens: 0,
    reasoningTokens: 0,
    tokenCost: "0.01",
    modelPriceId: null,
    usageSource: "reported" as const,
    parser: "openai-chat",
    parseError: null,
    requestSizeBytes: 100,
    responseSizeBytes: 100,
    upstreamRequestId: null,
  }));
  await recordUsage(
    db,
    history.map((row) => ({ ...row, modelPriceId: 1n })),
  );
}, 120_000);

afterAll(async () => {
  const codes = await Promise.all([proxy, worker, control].filter(Boolean).map((a) => a.stop()));
  await upstream?.close();
  receiver?.close();
  await db?.$disconnect();
  await dropDatabase(databaseUrl);
  expect(codes).toEqual([0, 0, 0]);
});

// A 503 auth_unavailable means the proxy's first key lookup outlived its timeout on a loaded machine: the
// contract says retry shortly, so the test does (an unauthenticated call is never metered).
const chat = (model: string, usage: string) =>
  until(`a ${model} call`, async () => {
    const res = await fetch(`${proxy.url}/${slug}/v1/chat/completions`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${buyerKey}`,
        "content-type": "application/json",
        "x-fake-usage": usage,
      },
      body: JSON.stringify({ model, messages: [{ role: "user", content: "hi" }] }),
    });
    const text = await res.text();
    if (res.status === 503 && text.includes("auth_unavailable")) return undefined;
    return { status: res.status, text };
  });

describe("alerts end to end", () => {
  it("a cost spike and an unknown model open alerts with evidence; the webhook gets each once, signed", async () => {
    // gpt-4 at the seed's prices: 100k in × $0.03/1K + 50k out × $0.06/1K = $6 in one hour vs a $0.01 mean.
    const spiky = await chat("gpt-4", "100000,50000");
    expect(spiky.status, spiky.text).toBe(200);
    const unknown = await chat("mystery-model-e2e", "1200,300");
    expect(unknown.status, unknown.text).toBe(200);

    const open = await until("both alerts", async () => {
      const { body } = await admin("GET", "/admin/alerts?state=open");
      const kinds = body.map((a: { kind: string }) => a.kind).sort();
      return kinds.includes("cost_spike") && kinds.includes("unpriced_model") ? body : undefined;
    });
    const spike = open.find((a: { kind: string }) => a.kind === "cost_spike");
    expect(spike.evidence).toMatchObject({ buyer_id: buyerId, buyer_name: `spiky ${runTag}`, factor: 3 });
    expect(Number(spike.evidence.last_hour_cost_usd)).toBeGreaterThanOrEqual(6);
    const unpriced = open.find((a: { kind: string }) => a.kind === "unpriced_model");
    expect(unpriced.evidence).toMatchObject({ model: "mystery-model-e2e", calls: 1, total_tokens: 1500 });

    // Let the evaluator run several more times (last_seen_at moves on) while the conditions still hold.
    const seen = Date.parse(spike.last_seen_at);
    await until("more evaluations", async () => {
      const { body } = await admin("GET", "/admin/alerts?state=open&kind=cost_spike");
      return Date.parse(body[0]?.last_seen_at) > seen + 750 ? true : undefined;
    });
    await until("both deliveries", async () => (received.length >= 2 ? true : undefined));

    const events = received.map((r) => {
      expect(verifyAlertSignature(r.body, r.signature, webhookSecret)).toBe(true);
      return JSON.parse(r.body) as AlertEvent;
    });
    expect(events.map((e) => [e.event, e.alert.id]).sort()).toEqual(
      [
        ["alert.opened", spike.id],
        ["alert.opened", unpriced.id],
      ].sort(),
    );
    expect(events.find((e) => e.alert.kind === "unpriced_model")?.alert.evidence).toMatchObject({
      model: "mystery-model-e2e",
    });

    // Metrics count them, and the worker logged them. A delivery is counted once the receiver's answer is
    // read, which may be just after the receiver saw it: the count is awaited.
    const metrics = await until("both deliveries counted", async () => {
      const text = await (await fetch(`${worker.url}/metrics`)).text();
      return /tokenmeter_alert_webhook_deliveries_total\{result="delivered"\} 2/.test(text)
        ? text
        : undefined;
    });
    expect(metrics).toMatch(/tokenmeter_alerts_opened_total\{kind="cost_spike"\} 1/);
    expect(metrics).toMatch(/tokenmeter_alerts_open\{kind="unpriced_model"\} 1/);
    expect(metrics).toMatch(/tokenmeter_alert_webhook_deliveries_total\{result="delivered"\} 2/);
    // The log line travels through the worker's stdout pipe: awaited like the rest.
    await until("the unpriced model's warning in the worker's log", async () =>
      worker.logs.some((line) => line.includes("mystery-model-e2e") && line.includes('"level":40'))
        ? true
        : undefined,
    );
  });
});
