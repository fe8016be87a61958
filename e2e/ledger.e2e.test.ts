import { randomBytes, randomUUID } from "node:crypto";
import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { createDbClient, type DbClient } from "@tokenmeter/db";
import { type FakeUpstream, startFakeUpstream } from "@tokenmeter/fake-upstream";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type RunningApp, startApp } from "./apps.js";

// Price changes, unpriced rows and their repair through the real built apps, queue and database. The workers'
// periodic reload and miss re-read are set to 10 minutes: what makes a new price apply at once is the
// announcement the admin API sends with its commit.
let upstream: FakeUpstream;
let custom: http.Server;
let customUrl = "";
let proxy: RunningApp;
let worker: RunningApp;
let control: RunningApp;
let db: DbClient;
const adminToken = `e2e_${randomBytes(16).toString("hex")}`;
const tag = randomUUID().slice(0, 8);
let buyerKey = "";
let openaiSlug = "";
let customSlug = "";
let customServiceId = 0;

async function admin(method: string, url: string, body?: unknown) {
  const res = await fetch(`${control.url}${url}`, {
    method,
    headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

/** A proxied call; a 503 auth_unavailable (a first key lookup slower than the proxy waits) is retried. */
async function call(url: string, init: RequestInit): Promise<Response> {
  for (let attempt = 1; ; attempt++) {
    const res = await fetch(url, init);
    if (res.status !== 503 || attempt === 3) return res;
    await res.arrayBuffer();
  }
}

async function chat(model: string, usage: string): Promise<string> {
  const res = await call(`${proxy.url}/${openaiSlug}/v1/chat/completions`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${buyerKey}`,
      "content-type": "application/json",
      "x-fake-usage": usage,
    },
    body: JSON.stringify({ model, messages: [{ role: "user", content: "hi" }] }),
  });
  expect(res.status).toBe(200);
  await res.arrayBuffer();
  return res.headers.get("x-request-id")!;
}

async function row(requestId: string, ms = 15_000) {
  const until = Date.now() + ms;
  for (;;) {
    const found = await db.usageLog.findFirst({ where: { requestId } });
    if (found) return found;
    if (Date.now() > until) throw new Error(`no row for ${requestId}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  upstream = await startFakeUpstream();
  // A seller's API in a format no parser knows: usage under "meter", the model under "engine".
  custom = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end('{"result":"done","meter":{"tin":2000,"tout":500},"engine":"gpt-3.5-turbo"}');
    });
  });
  custom.listen(0, "127.0.0.1");
  await once(custom, "listening");
  customUrl = `http://127.0.0.1:${(custom.address() as AddressInfo).port}`;
  const env = {
    DATABASE_URL: inject("databaseUrl"),
    REDIS_URL: inject("redisUrl"),
    QUEUE_PREFIX: `${inject("queuePrefix")}:ledger${tag}`,
    ADMIN_TOKEN: adminToken,
    CAPTURE_SIGNING_KEY: inject("captureSigningKey"),
    SECRETS_KEY: inject("secretsKey"),
    // The fake providers listen on loopback.
    ALLOW_PRIVATE_UPSTREAMS: "true",
    PROXY_PORT: "0",
    API_PORT: "0",
    WORKER_PORT: "0",
    HOST: "127.0.0.1",
    LOG_LEVEL: "info",
    KEY_CACHE_TTL_MS: "300",
    PRICE_REFRESH_MS: "600000",
    PRICE_MISS_RECHECK_MS: "600000",
    SPOOL_DIR: path.join(os.tmpdir(), `tm-e2e-ledger-spool-${tag}`),
  };
  [proxy, worker, control] = await Promise.all([
    startApp("proxy", env),
    startApp("worker", env),
    startApp("control-plane", env),
  ]);
  db = createDbClient({ databaseUrl: inject("databaseUrl") });
  openaiSlug = `ledger-openai-${tag}`;
  customSlug = `ledger-custom-${tag}`;
  const openai = await admin("POST", "/admin/api-services", {
    name: "Ledger OpenAI",
    slug: openaiSlug,
    upstream_url: upstream.url,
  });
  expect(openai.status).toBe(201);
  const customService = await admin("POST", "/admin/api-services", {
    name: "Ledger custom",
    slug: customSlug,
    upstream_url: customUrl,
  });
  customServiceId = customService.body.id;
  const buyer = await admin("POST", "/admin/buyers", { name: `ledger buyer ${tag}` });
  buyerKey = (await admin("POST", `/admin/buyers/${buyer.body.id}/api-keys`, {})).body.key;
}, 120_000);

afterAll(async () => {
  const codes = await Promise.all([proxy, worker, control].filter(Boolean).map((a) => a.stop()));
  await upstream?.close();
  custom?.close();
  await db?.$disconnect();
  expect(codes).toEqual([0, 0, 0]);
});

describe("prices that apply at once", () => {
  it("prices a call made right after a PUT with the new price", async () => {
    const model = `e2e-model-${tag}`;
    const v1 = await admin("PUT", `/admin/model-prices/${model}`, {
      input_cost_per_1k: "0.001",
      output_cost_per_1k: "0.002",
      effective_from: new Date(Date.now() - 3_600_000).toISOString(),
    });
    expect(v1.status).toBe(201);
    const first = await row(await chat(model, "1000,1000"));
    expect(first.tokenCost?.toFixed()).toBe("0.003");
    // The new version and, without waiting, the next call.
    const v2 = await admin("PUT", `/admin/model-prices/${model}`, {
      input_cost_per_1k: "0.01",
      output_cost_per_1k: "0.03",
    });
    expect(v2.status).toBe(201);
    const second = await row(await chat(model, "1000,1000"));
    expect(second.tokenCost?.toFixed()).toBe("0.04");
    expect(second.modelPriceId).toBe(BigInt(v2.body.id));
  });
});

describe("unpriced rows, and repairing them", () => {
  it("stores unpriced calls as NULL, lists the model, and reprices them once", async () => {
    const model = `e2e-unpriced-${tag}`;
    const started = new Date(Date.now() - 1000);
    const ids = [await chat(model, "100,50"), await chat(model, "200,100"), await chat(model, "300,150")];
    for (const id of ids) {
      const r = await row(id);
      expect(r.tokenCost).toBeNull();
      expect(r.totalTokens).toBeGreaterThan(0);
    }
    const unpriced = await admin("GET", "/admin/unpriced-models");
    expect(unpriced.body.find((m: { model_name: string }) => m.model_name === model)).toMatchObject({
      calls: 3,
      total_tokens: 900,
    });
    const summary = async () =>
      (
        await fetch(`${control.url}/api/v1/usage/summary?period=daily`, {
          headers: { authorization: `Bearer ${buyerKey}` },
        })
      ).json() as Promise<{ unpriced_calls: number; indicative_cost_exact: string }>;
    const before = await summary();
    expect(before.unpriced_calls).toBeGreaterThanOrEqual(3);

    await admin("PUT", `/admin/model-prices/${model}`, {
      input_cost_per_1k: "0.002",
      output_cost_per_1k: "0.004",
      effective_from: new Date(started.getTime() - 60_000).toISOString(),
    });
    const window = { from: started.toISOString(), to: new Date(Date.now() + 1000).toISOString(), model };
    const dry = await admin("POST", "/admin/reprice", { ...window, dry_run: true });
    // (100 + 200 + 300) × 0.002/1K + (50 + 100 + 150) × 0.004/1K = 0.0012 + 0.0012
    expect(dry.body).toMatchObject({ rows_scanned: 3, rows_changed: 3, old_total: "0", new_total: "0.0024" });
    expect((await row(ids[0]!)).tokenCost).toBeNull();

    const applied = await admin("POST", "/admin/reprice", { ...window, dry_run: false, actor: "e2e" });
    expect(applied.body).toMatchObject({ rows_changed: 3, new_total: "0.0024" });
    expect((await row(ids[2]!)).tokenCost?.toFixed()).toBe("0.0012");
    const after = await summary();
    expect(after.unpriced_calls).toBe(before.unpriced_calls - 3);

    const again = await admin("POST", "/admin/reprice", { ...window, dry_run: false });
    expect(again.body).toMatchObject({ rows_changed: 0, old_total: "0.0024", new_total: "0.0024" });
    expect((await summary()).indicative_cost_exact).toBe(after.indicative_cost_exact);
  });

  it("re-meters a call in an unknown format once a usage rule is added", async () => {
    const started = new Date(Date.now() - 1000);
    const res = await call(`${proxy.url}/${customSlug}/run`, {
      method: "POST",
      headers: { authorization: `Bearer ${buyerKey}`, "content-type": "application/json" },
      body: "{}",
    });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    const id = res.headers.get("x-request-id")!;
    const unread = await row(id);
    expect(unread.usageSource).toBe("none");
    expect(await db.usageCapture.count({ where: { requestId: id } })).toBe(1);

    const rule = await admin("PUT", `/admin/usage-rules/ledger-${tag}`, {
      input_tokens: '"tin":(\\d+)',
      output_tokens: '"tout":(\\d+)',
      model: '"engine":"([^"]+)"',
      api_service_id: customServiceId,
    });
    expect(rule.status).toBe(201);
    const window = { from: started.toISOString(), to: new Date(Date.now() + 1000).toISOString() };
    const dry = await admin("POST", "/admin/remeter", { ...window, dry_run: true });
    // 2000 × 0.0015/1K + 500 × 0.002/1K (gpt-3.5-turbo at the seed's price)
    expect(dry.body).toMatchObject({ rows_changed: 1, new_total: "0.004" });
    const applied = await admin("POST", "/admin/remeter", { ...window, dry_run: false });
    expect(applied.body).toMatchObject({ rows_changed: 1 });
    const fixed = await row(id);
    expect(fixed).toMatchObject({
      usageSource: "rule",
      modelName: "gpt-3.5-turbo",
      inputTokens: 2000,
      outputTokens: 500,
    });
    expect(fixed.tokenCost?.toFixed()).toBe("0.004");
    const again = await admin("POST", "/admin/remeter", { ...window, dry_run: false });
    expect(again.body).toMatchObject({ rows_changed: 0 });
    // And a new call in that format is metered by the rule at once (the rule change was announced).
    const next = await call(`${proxy.url}/${customSlug}/run`, {
      method: "POST",
      headers: { authorization: `Bearer ${buyerKey}` },
      body: "{}",
    });
    await next.arrayBuffer();
    expect((await row(next.headers.get("x-request-id")!)).usageSource).toBe("rule");
  });
});
