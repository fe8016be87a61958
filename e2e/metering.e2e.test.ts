import { randomBytes, randomUUID } from "node:crypto";
import os from "node:os";
import path from "node:path";
import Anthropic from "@anthropic-ai/sdk";
import { createDbClient, type DbClient } from "@tokenmeter/db";
import { type FakeUpstream, startFakeUpstream } from "@tokenmeter/fake-upstream";
import { Decimal } from "@tokenmeter/pricing";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type RunningApp, startApp } from "./apps.js";

// The whole system as a user runs it: the three built apps as processes, a fake provider, the official SDKs.
let upstream: FakeUpstream;
let proxy: RunningApp;
let worker: RunningApp;
let control: RunningApp;
let db: DbClient;
const adminToken = `e2e_${randomBytes(16).toString("hex")}`;
const runTag = randomUUID().slice(0, 8);
let buyerKey = "";
let buyerId = 0;
let otherKey = "";
const services: Record<string, { id: number; slug: string }> = {};
interface Summary {
  calls_made: number;
  total_tokens: number;
  indicative_cost: number;
  period: string;
  usage_details_by_api: {
    api_service_id: number;
    api_service_name: string;
    calls: number;
    total_tokens: number;
    token_cost: number;
  }[];
}
/** request id → [input tokens, output tokens, cost] this test expects. */
const expected = new Map<string, { input: number; output: number; cost: string; service: string }>();

async function admin(method: string, url: string, body?: unknown) {
  const res = await fetch(`${control.url}${url}`, {
    method,
    headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

async function waitForRows(ids: string[], ms = 15_000) {
  const until = Date.now() + ms;
  for (;;) {
    const n = await db.usageLog.count({ where: { requestId: { in: ids } } });
    if (n >= ids.length) return;
    if (Date.now() > until) throw new Error(`only ${n} of ${ids.length} rows arrived`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  upstream = await startFakeUpstream();
  const env = {
    DATABASE_URL: inject("databaseUrl"),
    REDIS_URL: inject("redisUrl"),
    QUEUE_PREFIX: `${inject("queuePrefix")}:e2e${runTag}`,
    ADMIN_TOKEN: adminToken,
    CAPTURE_SIGNING_KEY: inject("captureSigningKey"),
    SECRETS_KEY: inject("secretsKey"),
    // The fake upstream listens on loopback.
    ALLOW_PRIVATE_UPSTREAMS: "true",
    PROXY_PORT: "0",
    API_PORT: "0",
    WORKER_PORT: "0",
    HOST: "127.0.0.1",
    LOG_LEVEL: "info",
    KEY_CACHE_TTL_MS: "300",
    PRICE_REFRESH_MS: "200",
    SPOOL_DIR: path.join(os.tmpdir(), `tm-e2e-spool-${runTag}`),
  };
  [proxy, worker, control] = await Promise.all([
    startApp("proxy", env),
    startApp("worker", env),
    startApp("control-plane", env),
  ]);
  db = createDbClient({ databaseUrl: inject("databaseUrl") });

  for (const [name, slug] of [
    ["OpenAI Chat", `openai-${runTag}`],
    ["Claude API", `claude-${runTag}`],
    ["Gemini API", `gemini-${runTag}`],
  ] as const) {
    const created = await admin("POST", "/admin/api-services", {
      name,
      slug,
      upstream_url: upstream.url,
      upstream_headers: { authorization: "Bearer sk-seller-secret", "x-api-key": "sk-ant-seller-secret" },
    });
    expect(created.status).toBe(201);
    expect(JSON.stringify(created.body)).not.toContain("seller-secret");
    services[name] = { id: created.body.id, slug };
  }
  const buyer = await admin("POST", "/admin/buyers", { name: `e2e buyer ${runTag}` });
  expect(buyer.status).toBe(201);
  buyerId = buyer.body.id;
  const key = await admin("POST", `/admin/buyers/${buyerId}/api-keys`, {});
  expect(key.status).toBe(201);
  buyerKey = key.body.key;
  const other = await admin("POST", "/admin/buyers", { name: `e2e other ${runTag}` });
  otherKey = (await admin("POST", `/admin/buyers/${other.body.id}/api-keys`, {})).body.key;
}, 120_000);

afterAll(async () => {
  const codes = await Promise.all([proxy, worker, control].filter(Boolean).map((a) => a.stop()));
  await upstream?.close();
  await db?.$disconnect();
  // Clean shutdown on SIGTERM is part of the contract.
  expect(codes).toEqual([0, 0, 0]);
});

describe("end to end", () => {
  it("meters an OpenAI SDK call exactly, with the seller's key injected", async () => {
    const client = new OpenAI({
      apiKey: buyerKey,
      baseURL: `${proxy.url}/${services["OpenAI Chat"]!.slug}/v1`,
      defaultHeaders: { "x-fake-usage": "1000,500" },
    });
    const { data, response } = await client.chat.completions
      .create({ model: "gpt-4", messages: [{ role: "user", content: "hello" }] })
      .withResponse();
    expect(data.usage?.prompt_tokens).toBe(1000);
    expect(data.choices[0]?.message.content).toContain("fake upstream");
    expect(upstream.received.at(-1)?.headers.authorization).toBe("Bearer sk-seller-secret");
    const id = response.headers.get("x-request-id")!;
    expected.set(id, { input: 1000, output: 500, cost: "0.06", service: "OpenAI Chat" });
  });

  it("meters an OpenAI SDK stream with include_usage and streams it unchanged", async () => {
    const client = new OpenAI({
      apiKey: buyerKey,
      baseURL: `${proxy.url}/${services["OpenAI Chat"]!.slug}/v1`,
      defaultHeaders: { "x-fake-usage": "2000,1000,500" },
    });
    const { data: stream, response } = await client.chat.completions
      .create({
        model: "gpt-3.5-turbo",
        messages: [{ role: "user", content: "hello" }],
        stream: true,
        stream_options: { include_usage: true },
      })
      .withResponse();
    let text = "";
    let usage: OpenAI.CompletionUsage | undefined | null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? "";
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe("Hello from the fake upstream.");
    expect(usage?.total_tokens).toBe(3000);
    // 2000 × 0.0015/1K (cached 500 at the input rate: the seed has no cached rate) + 1000 × 0.002/1K = 0.005
    expected.set(response.headers.get("x-request-id")!, {
      input: 2000,
      output: 1000,
      cost: "0.005",
      service: "OpenAI Chat",
    });
  });

  it("meters an Anthropic SDK call and stream (cache reads count as input)", async () => {
    const client = new Anthropic({
      apiKey: buyerKey,
      baseURL: `${proxy.url}/${services["Claude API"]!.slug}`,
      defaultHeaders: { "x-fake-usage": "10,40,90" },
    });
    const { data: msg, response } = await client.messages
      .create({
        model: "claude-3-haiku-20240307",
        max_tokens: 50,
        messages: [{ role: "user", content: "hi" }],
      })
      .withResponse();
    expect(msg.usage.input_tokens).toBe(10);
    expect(upstream.received.at(-1)?.headers["x-api-key"]).toBe("sk-ant-seller-secret");
    // The seed's claude-3-haiku price with Anthropic's cache-read rate:
    // 10 × 0.00025/1K + 90 × 0.00003/1K + 40 × 0.00125/1K = 0.0000025 + 0.0000027 + 0.00005
    expected.set(response.headers.get("x-request-id")!, {
      input: 100,
      output: 40,
      cost: "0.0000552",
      service: "Claude API",
    });

    const stream = client.messages.stream({
      model: "claude-3-opus-20240229",
      max_tokens: 50,
      messages: [{ role: "user", content: "hi" }],
    });
    const final = await stream.finalMessage();
    expect(final.usage.output_tokens).toBe(40);
    const streamId = (await stream.withResponse()).response.headers.get("x-request-id")!;
    // 10 × 0.015/1K + 90 × 0.0015/1K (cache reads) + 40 × 0.075/1K = 0.00015 + 0.000135 + 0.003
    expected.set(streamId, { input: 100, output: 40, cost: "0.003285", service: "Claude API" });
  });

  it("meters a Gemini call made with x-goog-api-key, gzip left compressed", async () => {
    const res = await fetch(
      `${proxy.url}/${services["Gemini API"]!.slug}/v1beta/models/gemini-pro:generateContent`,
      {
        method: "POST",
        headers: {
          "x-goog-api-key": buyerKey,
          "content-type": "application/json",
          "x-fake-usage": "4000,2000",
          "x-fake-behavior": "gzip",
        },
        body: JSON.stringify({ contents: [{ parts: [{ text: "hi" }] }] }),
      },
    );
    expect(res.status).toBe(200);
    expect(res.headers.get("content-encoding")).toBe("gzip");
    const gemini = (await res.json()) as { usageMetadata: { promptTokenCount: number } };
    expect(gemini.usageMetadata.promptTokenCount).toBe(4000);
    // 4000 × 0.0005/1K + 2000 × 0.0015/1K = 0.002 + 0.003
    expected.set(res.headers.get("x-request-id")!, {
      input: 4000,
      output: 2000,
      cost: "0.005",
      service: "Gemini API",
    });
  });

  it("returns bodies byte for byte as the upstream sends them", async () => {
    const body = JSON.stringify({ model: "gpt-4", messages: [{ role: "user", content: "bytes" }] });
    const headers = { "content-type": "application/json", "x-fake-usage": "3,4" };
    const via = await fetch(`${proxy.url}/${services["OpenAI Chat"]!.slug}/v1/chat/completions`, {
      method: "POST",
      headers: { ...headers, authorization: `Bearer ${buyerKey}` },
      body,
    });
    const direct = await fetch(`${upstream.url}/v1/chat/completions`, { method: "POST", headers, body });
    const a = Buffer.from(await via.arrayBuffer());
    const b = Buffer.from(await direct.arrayBuffer());
    expect(a.equals(b)).toBe(true);
    // 3 × 0.03/1K + 4 × 0.06/1K = 0.00009 + 0.00024
    expected.set(via.headers.get("x-request-id")!, {
      input: 3,
      output: 4,
      cost: "0.00033",
      service: "OpenAI Chat",
    });
  });

  it("records upstream errors as calls with zero tokens", async () => {
    const res = await fetch(`${proxy.url}/${services["OpenAI Chat"]!.slug}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${buyerKey}`, "x-fake-behavior": "error:500" },
      body: "{}",
    });
    expect(res.status).toBe(500);
    await res.arrayBuffer();
    expected.set(res.headers.get("x-request-id")!, {
      input: 0,
      output: 0,
      cost: "0",
      service: "OpenAI Chat",
    });
  });

  it("writes exactly one row per call with exact tokens and cost", async () => {
    const ids = [...expected.keys()];
    await waitForRows(ids);
    const rows = await db.usageLog.findMany({ where: { requestId: { in: ids } } });
    expect(rows).toHaveLength(ids.length);
    for (const row of rows) {
      const want = expected.get(row.requestId)!;
      expect({ id: row.requestId, input: row.inputTokens, output: row.outputTokens }).toEqual({
        id: row.requestId,
        input: want.input,
        output: want.output,
      });
      expect(new Decimal(String(row.tokenCost)).equals(want.cost)).toBe(true);
      expect(Number(row.buyerUserId)).toBe(buyerId);
      expect(Number(row.apiServiceId)).toBe(services[want.service]!.id);
    }
  });

  it("answers the buyer's summary with the seed's JSON, exact sums and only their usage", async () => {
    const ids = [...expected.keys()];
    await waitForRows(ids);
    for (const period of ["daily", "monthly"]) {
      const res = await fetch(`${control.url}/api/v1/usage/summary?period=${period}`, {
        headers: { authorization: `Bearer ${buyerKey}` },
      });
      expect(res.status).toBe(200);
      const summary = (await res.json()) as Summary;
      expect(summary.period).toBe(period);
      expect(summary.calls_made).toBe(ids.length);
      const all = [...expected.values()];
      expect(summary.total_tokens).toBe(all.reduce((s, e) => s + e.input + e.output, 0));
      const totalCost = all.reduce((s, e) => s.plus(e.cost), new Decimal(0));
      expect(summary.indicative_cost).toBe(totalCost.toNumber());
      const byApi = summary.usage_details_by_api;
      expect(byApi.map((d) => d.api_service_id)).toEqual(
        Object.values(services)
          .map((s) => s.id)
          .sort((x, y) => x - y),
      );
      for (const [name, svc] of Object.entries(services)) {
        const mine = all.filter((e) => e.service === name);
        const detail = byApi.find((d) => d.api_service_id === svc.id)!;
        expect(detail.api_service_name).toBe(name);
        expect(detail.calls).toBe(mine.length);
        expect(detail.token_cost).toBe(mine.reduce((s, e) => s.plus(e.cost), new Decimal(0)).toNumber());
      }
    }
    const other = await fetch(`${control.url}/api/v1/usage/summary`, {
      headers: { authorization: `Bearer ${otherKey}` },
    });
    const otherSummary = (await other.json()) as Summary;
    expect(otherSummary.calls_made).toBe(0);
    expect(otherSummary.usage_details_by_api).toEqual([]);
  });

  it("stores the upstream's own request id beside ours", async () => {
    const ids = [...expected.keys()];
    await waitForRows(ids);
    const row = await db.usageLog.findFirst({ where: { requestId: ids[0]! } });
    expect(row?.upstreamRequestId).toMatch(/^req_upstream_/);
  });

  it("serves health and metrics on every app", async () => {
    for (const app of [proxy, worker, control]) {
      const health = await fetch(`${app.url}/healthz`);
      expect({ app: app.name, status: health.status }).toEqual({ app: app.name, status: 200 });
      const metrics = await (await fetch(`${app.url}/metrics`)).text();
      expect(metrics).toContain("process_cpu_seconds_total");
    }
    const workerMetrics = await (await fetch(`${worker.url}/metrics`)).text();
    expect(workerMetrics).toMatch(/tokenmeter_worker_captures_total\{result="recorded"\} [1-9]/);
  });

  it("estimates an OpenAI SDK stream made without include_usage with the model's tokenizer", async () => {
    const client = new OpenAI({
      apiKey: buyerKey,
      baseURL: `${proxy.url}/${services["OpenAI Chat"]!.slug}/v1`,
    });
    const { data: stream, response } = await client.chat.completions
      .create({
        model: "gpt-4",
        messages: [{ role: "user", content: "Hello from the fake upstream." }],
        stream: true,
      })
      .withResponse();
    for await (const _chunk of stream) {
      // drain
    }
    const id = response.headers.get("x-request-id")!;
    await waitForRows([id]);
    const row = await db.usageLog.findFirst({ where: { requestId: id } });
    // cl100k_base: 3 + (3 + "user" 1 + 6) in, "Hello from the fake upstream." 6 out; priced as gpt-4.
    expect(row).toMatchObject({ usageSource: "estimated", inputTokens: 13, outputTokens: 6 });
    expect(row?.tokenCost?.toFixed(10)).toBe("0.0007500000");
  });

  it("stops accepting a revoked key within the cache TTL", async () => {
    const key = await admin("POST", `/admin/buyers/${buyerId}/api-keys`, {});
    const call = () =>
      fetch(`${proxy.url}/${services["OpenAI Chat"]!.slug}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${key.body.key}` },
        body: "{}",
      });
    const before = await call();
    await before.arrayBuffer();
    expect(before.status).toBe(200);
    expect((await admin("DELETE", `/admin/api-keys/${key.body.id}`)).status).toBe(204);
    await new Promise((r) => setTimeout(r, 400));
    const after = await call();
    expect(after.status).toBe(401);
  });
});
