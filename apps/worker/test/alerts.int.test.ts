import { randomBytes, randomUUID } from "node:crypto";
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { ALERT_WEBHOOK_QUEUE, type AlertEvent, verifyAlertSignature } from "@tokenmeter/alerts";
import {
  createDbClient,
  type DbClient,
  dropDatabase,
  prepareDatabase,
  recordUsage,
  type UsageRow,
} from "@tokenmeter/db";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { pino } from "pino";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type EvaluationDeps, evaluateAlerts } from "../src/alerts/evaluator.js";
import type { CaptureQueueState } from "../src/alerts/findings.js";
import { createAlertMetrics } from "../src/alerts/metrics.js";
import { captureQueueState } from "../src/alerts/queue-state.js";
import { startWebhookDelivery } from "../src/alerts/webhook-delivery.js";

// Alerts are marketplace-wide, so this file gets a database of its own: no other test's rows or rules leak in.
const databaseUrl = (() => {
  const url = new URL(inject("databaseUrl"));
  url.pathname = `${url.pathname}_alerts_${randomBytes(3).toString("hex")}`;
  return url.toString();
})();
const prefix = `${inject("queuePrefix")}_alerts_${randomBytes(3).toString("hex")}`;
let db: DbClient;
let redis: Redis;
let queueState: CaptureQueueState = { waiting: 0, failed: 0, oldestWaitingSeconds: 0 };
const delivered: AlertEvent[][] = [];
let deps: EvaluationDeps;
let metrics: ReturnType<typeof createAlertMetrics>;

function row(overrides: Partial<UsageRow>): UsageRow {
  return {
    requestId: randomUUID(),
    buyerUserId: 1n,
    apiKeyId: 1n,
    apiServiceId: 1n,
    requestTimestamp: new Date(),
    httpMethod: "POST",
    path: "/v1/chat/completions",
    statusCode: 200,
    latencyMs: 10,
    ttfbMs: 5,
    streamed: false,
    upstreamReached: true,
    errorCode: null,
    modelName: "gpt-4o-mini",
    inputTokens: 10,
    outputTokens: 10,
    totalTokens: 20,
    cachedInputTokens: 0,
    cacheWriteTokens: 0,
    cacheWrite1hTokens: 0,
    reasoningTokens: 0,
    tokenCost: "0.001",
    modelPriceId: 1n,
    usageSource: "reported",
    parser: "openai-chat",
    parseError: null,
    requestSizeBytes: 10,
    responseSizeBytes: 10,
    upstreamRequestId: null,
    ...overrides,
  };
}

const setRule = (kind: string, params: object, enabled = true) =>
  db.alertRule.upsert({ where: { kind }, create: { kind, params, enabled }, update: { params, enabled } });
const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000);
const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000);

async function evaluate() {
  const result = await evaluateAlerts(deps);
  if (result === "skipped") throw new Error("evaluation skipped");
  return result;
}
const fingerprints = (alerts: Array<{ fingerprint: string }>) => alerts.map((a) => a.fingerprint).sort();

beforeAll(async () => {
  await prepareDatabase(databaseUrl);
  db = createDbClient({ databaseUrl, poolMax: 4 });
  redis = new Redis(inject("redisUrl"), { maxRetriesPerRequest: null });
  redis.on("error", () => {});
  metrics = createAlertMetrics(new Registry());
  deps = {
    db,
    redis,
    prefix,
    captureQueueState: async () => queueState,
    logger: pino({ level: "silent" }),
    metrics,
    deliver: async (events) => {
      delivered.push(events);
    },
    lockMs: 30_000,
  };
  // Every rule quiet except the one a test turns on.
  for (const kind of ["large_call", "cost_spike", "parse_failure_rate", "unpriced_model", "metering_lag"]) {
    await setRule(kind, {}, false);
  }
}, 120_000);

afterAll(async () => {
  await db.$disconnect();
  redis.disconnect();
  await dropDatabase(databaseUrl);
});

describe("alert rules fire and resolve", () => {
  it("large_call: a single call above the token or cost threshold, then resolves when raised", async () => {
    await recordUsage(db, [
      row({ buyerUserId: 11n, totalTokens: 250_000, tokenCost: "0.01" }),
      row({ buyerUserId: 11n, totalTokens: 10, tokenCost: "7.5" }),
      row({ buyerUserId: 11n, totalTokens: 10, tokenCost: "0.5" }),
    ]);
    await setRule("large_call", { max_tokens: 100_000, max_cost_usd: "5" });
    const first = await evaluate();
    expect(first.opened).toHaveLength(2);
    expect(first.opened.map((a) => a.evidence.buyer_id)).toEqual([11, 11]);
    expect(first.opened.map((a) => a.evidence.token_cost_usd).sort()).toEqual([
      "0.0100000000",
      "7.5000000000",
    ]);
    // Still true: nothing new opens, nothing resolves.
    expect(await evaluate()).toEqual({ opened: [], resolved: [] });
    await setRule("large_call", { max_tokens: 1_000_000, max_cost_usd: "10" });
    const after = await evaluate();
    expect(fingerprints(after.resolved)).toEqual(fingerprints(first.opened));
    expect(await db.alert.count({ where: { kind: "large_call", state: "open" } })).toBe(0);
    await setRule("large_call", {}, false);
  });

  it("cost_spike: last hour above factor × trailing hourly mean and the floor; resolves under the floor", async () => {
    // Baseline: $0.24 a day for a week before the last hour = $0.01 an hour.
    const baseline = Array.from({ length: 7 * 24 }, (_, h) =>
      row({ buyerUserId: 21n, requestTimestamp: hoursAgo(2 + h), tokenCost: "0.01" }),
    );
    await recordUsage(db, [...baseline, row({ buyerUserId: 21n, tokenCost: "0.8" })]);
    // A steady buyer: the same spend now as before.
    await recordUsage(db, [
      ...Array.from({ length: 7 * 24 }, (_, h) =>
        row({ buyerUserId: 22n, requestTimestamp: hoursAgo(2 + h), tokenCost: "1" }),
      ),
      row({ buyerUserId: 22n, tokenCost: "1.5" }),
    ]);
    await setRule("cost_spike", { factor: 5, floor_usd: "0.5" });
    // Buyer 11 (the large calls above, $8.01 this hour, no history) spikes too.
    const { opened: all } = await evaluate();
    expect(all.map((a) => a.evidence.buyer_id).sort()).toEqual([11, 21]);
    const opened = all.filter((a) => a.evidence.buyer_id === 21);
    expect(opened[0]?.evidence).toMatchObject({
      buyer_id: 21,
      last_hour_cost_usd: "0.8000000000",
      factor: 5,
      floor_usd: "0.5",
    });
    expect(Number(opened[0]?.evidence.hourly_mean_cost_usd)).toBeCloseTo(0.01, 6);
    await setRule("cost_spike", { factor: 5, floor_usd: "2" });
    expect(fingerprints((await evaluate()).resolved)).toEqual(["cost_spike:buyer:21"]);
    await setRule("cost_spike", {}, false);
  });

  it("parse_failure_rate: a service's share of unparsed calls over the window, with a minimum of calls", async () => {
    await recordUsage(db, [
      ...Array.from({ length: 6 }, () =>
        row({ apiServiceId: 31n, parseError: "no usage found", totalTokens: 0 }),
      ),
      ...Array.from({ length: 4 }, () => row({ apiServiceId: 31n })),
      // A service with too few calls to judge.
      row({ apiServiceId: 32n, parseError: "no usage found" }),
    ]);
    await setRule("parse_failure_rate", { max_percent: 50, min_calls: 5, window_minutes: 15 });
    const { opened } = await evaluate();
    expect(opened.map((a) => a.evidence)).toEqual([
      expect.objectContaining({ api_service_id: 31, calls: 10, failed: 6, percent: 60 }),
    ]);
    await setRule("parse_failure_rate", { max_percent: 70, min_calls: 5, window_minutes: 15 });
    expect(fingerprints((await evaluate()).resolved)).toEqual(["parse_failure_rate:service:31"]);
    await setRule("parse_failure_rate", {}, false);
  });

  it("unpriced_model: a model with tokens and no price in the window; resolves once out of the window", async () => {
    await recordUsage(db, [
      row({
        modelName: "mystery-9000",
        modelPriceId: null,
        tokenCost: "0",
        requestTimestamp: minutesAgo(10),
      }),
      row({ modelName: "mystery-9000", modelPriceId: null, tokenCost: "0", requestTimestamp: minutesAgo(9) }),
      // No tokens: nothing to price.
      row({ modelName: "empty-model", modelPriceId: null, tokenCost: "0", totalTokens: 0 }),
    ]);
    await setRule("unpriced_model", { window_minutes: 60 });
    const { opened } = await evaluate();
    expect(opened.map((a) => [a.fingerprint, a.evidence.calls])).toEqual([
      ["unpriced_model:mystery-9000", 2],
    ]);
    await setRule("unpriced_model", { window_minutes: 5 });
    expect(fingerprints((await evaluate()).resolved)).toEqual(["unpriced_model:mystery-9000"]);
    await setRule("unpriced_model", {}, false);
  });

  it("metering_lag: waiting, old or failed capture jobs; resolves when the queue drains", async () => {
    await setRule("metering_lag", {
      max_waiting_jobs: 100,
      max_oldest_waiting_seconds: 60,
      max_failed_jobs: 0,
    });
    queueState = { waiting: 5, failed: 0, oldestWaitingSeconds: 120 };
    expect(fingerprints((await evaluate()).opened)).toEqual(["metering_lag:waiting"]);
    queueState = { waiting: 0, failed: 3, oldestWaitingSeconds: 0 };
    const next = await evaluate();
    expect([fingerprints(next.opened), fingerprints(next.resolved)]).toEqual([
      ["metering_lag:failed"],
      ["metering_lag:waiting"],
    ]);
    queueState = { waiting: 0, failed: 0, oldestWaitingSeconds: 0 };
    expect(fingerprints((await evaluate()).resolved)).toEqual(["metering_lag:failed"]);
    await setRule("metering_lag", {}, false);
  });

  it("reads the capture queue's waiting and failed jobs and the oldest job's age from Redis", async () => {
    const queue = new Queue("captures", { connection: redis, prefix });
    await queue.add("capture-batch", { v: 1 }, { timestamp: Date.now() - 90_000 });
    await queue.add("capture-batch", { v: 1 });
    const state = await captureQueueState(queue);
    expect(state.waiting).toBe(2);
    expect(state.oldestWaitingSeconds).toBeGreaterThanOrEqual(90);
    await queue.obliterate({ force: true });
    await queue.close();
  });
});

describe("evaluation", () => {
  it("only one evaluator runs at a time: a second one skips while the lock is held", async () => {
    const [a, b] = await Promise.all([evaluateAlerts(deps), evaluateAlerts(deps)]);
    expect([a === "skipped", b === "skipped"].sort()).toEqual([false, true]);
    // Released afterwards.
    expect(await evaluateAlerts(deps)).not.toBe("skipped");
  });

  it("hands each opened and each resolved alert to delivery exactly once", async () => {
    delivered.length = 0;
    await setRule("unpriced_model", { window_minutes: 60 });
    await recordUsage(db, [row({ modelName: "once-only", modelPriceId: null, tokenCost: "0" })]);
    await evaluate();
    await evaluate();
    await setRule("unpriced_model", {}, false);
    await evaluate();
    const events = delivered.flat().filter((e) => e.alert.fingerprint === "unpriced_model:once-only");
    expect(events.map((e) => [e.event, e.alert.state])).toEqual([
      ["alert.opened", "open"],
      ["alert.resolved", "resolved"],
    ]);
  });
});

describe("webhook delivery", () => {
  let server: Server;
  let url = "";
  const received: Array<{ body: string; signature: string | undefined; event: string | undefined }> = [];
  let failuresLeft = 1;

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = "";
      req.on("data", (chunk) => {
        body += chunk;
      });
      req.on("end", () => {
        received.push({
          body,
          signature: req.headers["x-tokenmeter-signature"] as string | undefined,
          event: req.headers["x-tokenmeter-event"] as string | undefined,
        });
        // The first attempt fails: the delivery must be retried.
        res.statusCode = failuresLeft-- > 0 ? 503 : 204;
        res.end();
      });
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  });
  afterAll(async () => {
    server.close();
  });

  it("POSTs the JSON event signed with an HMAC of the body, retries with backoff, and queues an event once", async () => {
    const delivery = startWebhookDelivery({
      connection: redis,
      prefix,
      options: { url, secret: "webhook-secret-0123456789", backoffMs: 50, attempts: 5, timeoutMs: 2000 },
      logger: pino({ level: "silent" }),
      metrics,
    });
    const event: AlertEvent = {
      event: "alert.opened",
      alert: {
        id: 987654,
        kind: "unpriced_model",
        fingerprint: "unpriced_model:x",
        state: "open",
        summary: "x",
        evidence: { model: "x" },
        opened_at: new Date().toISOString(),
        resolved_at: null,
      },
    };
    await delivery.enqueue([event]);
    await delivery.enqueue([event]);
    const until = Date.now() + 10_000;
    while (received.filter((r) => r.signature).length < 2 && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    // No duplicate can still arrive once the one job has completed and nothing else is queued.
    const webhooks = new Queue(ALERT_WEBHOOK_QUEUE, { connection: redis, prefix });
    while ((await webhooks.getJobState("alert-987654-alert.opened")) !== "completed" && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(await webhooks.getJobCounts("completed", "waiting", "delayed", "active", "failed")).toEqual({
      completed: 1,
      waiting: 0,
      delayed: 0,
      active: 0,
      failed: 0,
    });
    await webhooks.close();
    expect(received).toHaveLength(2);
    for (const r of received) {
      expect(JSON.parse(r.body)).toEqual(event);
      expect(r.event).toBe("alert.opened");
      expect(verifyAlertSignature(r.body, r.signature, "webhook-secret-0123456789")).toBe(true);
    }
    await delivery.close();
  });
});
