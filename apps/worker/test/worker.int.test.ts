import { randomUUID } from "node:crypto";
import { gzipSync } from "node:zlib";
import {
  CAPTURE_BATCH_JOB_NAME,
  CAPTURE_QUEUE_NAME,
  type Capture,
  packCaptureJobs,
  parseSigningKeys,
  signCaptureBatch,
} from "@tokenmeter/capture";
import { createDbClient, type DbClient } from "@tokenmeter/db";
import { anthropicSse, geminiJson, openaiChatJson } from "@tokenmeter/fake-upstream";
import { syncBuiltinPrices } from "@tokenmeter/metering";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type MeteringWorker, startMeteringWorker } from "../src/metering-worker.js";
import { createWorkerMetrics } from "../src/metrics.js";

let db: DbClient;
let queue: Queue;
let worker: MeteringWorker;
let producer: Redis;
let consumer: Redis;
const buyerId = 700_000 + Math.floor(Math.random() * 99_999);

const b64 = (s: string) => Buffer.from(s).toString("base64");
function capture(
  overrides: Partial<Capture> & { reqBody?: string; resBody?: string; contentType?: string },
): Capture {
  const { reqBody = "{}", resBody = "", contentType = "application/json", ...rest } = overrides;
  return {
    v: 1,
    requestId: randomUUID(),
    receivedAt: new Date().toISOString(),
    buyerId,
    apiKeyId: 1,
    serviceId: 1,
    serviceSlug: "svc",
    method: "POST",
    path: "/v1/chat/completions",
    request: {
      contentType: "application/json",
      body: { size: reqBody.length, head: b64(reqBody), tail: "", truncated: false, encoding: "identity" },
    },
    response: {
      status: 200,
      contentType,
      body: { size: resBody.length, head: b64(resBody), tail: "", truncated: false, encoding: "identity" },
    },
    streamed: contentType.includes("event-stream"),
    upstreamReached: true,
    ttfbMs: 3,
    latencyMs: 9,
    ...rest,
  };
}

const signingKeys = parseSigningKeys(inject("captureSigningKey"));
const signingKey = signingKeys[0]!;

async function enqueue(...captures: Capture[]) {
  await queue.addBulk(packCaptureJobs(captures, signingKey));
}

// The waits below return as soon as their condition holds; their deadlines are for a loaded machine.
async function failedReason(jobId: string): Promise<string | undefined> {
  const until = Date.now() + 20_000;
  while ((await queue.getJobState(jobId)) !== "failed" && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 25));
  }
  return (await queue.getJob(jobId))?.failedReason;
}

/** Waits until the job has completed or failed (finished jobs are kept for an hour) and says which. */
async function settled(jobId: string): Promise<string> {
  const until = Date.now() + 20_000;
  for (;;) {
    const state = await queue.getJobState(jobId);
    if (state === "completed" || state === "failed" || Date.now() > until) return state;
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function rowFor(requestId: string, ms = 20_000) {
  const until = Date.now() + ms;
  for (;;) {
    const row = await db.usageLog.findFirst({ where: { requestId } });
    if (row) return row;
    if (Date.now() > until) throw new Error(`no row for ${requestId}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

beforeAll(async () => {
  const prefix = `${inject("queuePrefix")}:w${randomUUID().slice(0, 6)}`;
  db = createDbClient({ databaseUrl: inject("databaseUrl") });
  await syncBuiltinPrices(db);
  producer = new Redis(inject("redisUrl"), { maxRetriesPerRequest: null });
  consumer = new Redis(inject("redisUrl"), { maxRetriesPerRequest: null });
  queue = new Queue(CAPTURE_QUEUE_NAME, { connection: producer, prefix });
  worker = await startMeteringWorker({
    db,
    connection: consumer,
    prefix,
    concurrency: 50,
    batchMaxRows: 100,
    batchMaxWaitMs: 10,
    priceRefreshMs: 60_000,
    logger: pino({ level: "silent" }),
    metrics: createWorkerMetrics(),
    signingKeys,
  });
});

afterAll(async () => {
  await worker.close();
  await queue.obliterate({ force: true });
  await queue.close();
  producer.disconnect();
  consumer.disconnect();
  await db.$disconnect();
});

describe("metering worker", () => {
  it("turns an OpenAI capture into one priced row", async () => {
    const c = capture({ resBody: openaiChatJson("gpt-4-0613", "hi", { input: 1000, output: 500 }) });
    await enqueue(c);
    const row = await rowFor(c.requestId);
    expect(row.modelName).toBe("gpt-4-0613");
    expect(row.inputTokens).toBe(1000);
    expect(row.outputTokens).toBe(500);
    expect(row.totalTokens).toBe(1500);
    // 1000 × 0.03/1K + 500 × 0.06/1K = 0.06
    expect(row.tokenCost?.toFixed(10)).toBe("0.0600000000");
    expect(row.modelPriceId).not.toBeNull();
    expect(row.usageSource).toBe("reported");
    expect(row.upstreamRequestId).toBeNull();
  });

  it("prices Anthropic streaming usage with cache reads inside input", async () => {
    const sse = anthropicSse("claude-3-haiku-20240307", ["a", "b"], {
      input: 3,
      output: 40,
      cached: 100,
    }).join("");
    const c = capture({ path: "/v1/messages", resBody: sse, contentType: "text/event-stream" });
    await enqueue(c);
    const row = await rowFor(c.requestId);
    expect(row.inputTokens).toBe(103);
    expect(row.cachedInputTokens).toBe(100);
    expect(row.outputTokens).toBe(40);
    expect(row.streamed).toBe(true);
    // The seed's claude-3-haiku price with Anthropic's cache-read rate (0.00003/1K):
    // 3 × 0.00025/1K + 100 × 0.00003/1K + 40 × 0.00125/1K = 0.00000075 + 0.000003 + 0.00005
    expect(row.tokenCost?.toFixed(10)).toBe("0.0000537500");
  });

  it("prices a Gemini call named by its URL path from the built-in table", async () => {
    const c = capture({
      path: "/v1beta/models/gemini-2.5-flash:generateContent",
      resBody: geminiJson("gemini-2.5-flash", "hi", { input: 1000, output: 200, cached: 400 }),
    });
    await enqueue(c);
    const row = await rowFor(c.requestId);
    expect(row.modelName).toMatch(/gemini-2\.5-flash$/);
    // 600 × 0.0003/1K + 400 × 0.00003/1K + 200 × 0.0025/1K
    expect(row.tokenCost?.toFixed(10)).toBe("0.0006920000");
    expect(row.modelPriceId).not.toBeNull();
  });

  it("prices a long Gemini 2.5 Pro prompt at its long-context tier", async () => {
    const c = capture({
      path: "/v1beta/models/gemini-2.5-pro:generateContent",
      resBody: geminiJson("gemini-2.5-pro", "hi", { input: 250_000, output: 1000 }),
    });
    await enqueue(c);
    const row = await rowFor(c.requestId);
    // Above 200K input tokens: 250000 × 0.0025/1K + 1000 × 0.015/1K
    expect(row.tokenCost?.toFixed(10)).toBe("0.6400000000");
  });

  it("records a replayed capture once: the replay completes, the row and the rollups stay as first recorded", async () => {
    // A buyer of its own, so the rollups below hold this test's rows only.
    const replayBuyer = buyerId + 100_000;
    const c = capture({
      buyerId: replayBuyer,
      resBody: openaiChatJson("gpt-3.5-turbo", "x", { input: 10, output: 10 }),
    });
    await enqueue(c);
    const first = await rowFor(c.requestId);
    // The proxy's journal replays a capture whose job is already done and removed: a new job, same request id.
    // Its body differs here, so an overwrite of the first row (or a second count) would show.
    const replay = {
      ...c,
      response: capture({ resBody: openaiChatJson("gpt-3.5-turbo", "x", { input: 99, output: 99 }) })
        .response,
    };
    const [job] = await queue.addBulk(packCaptureJobs([replay], signingKey));
    expect(await settled(job!.id!)).toBe("completed");
    expect(await db.usageLog.findFirst({ where: { requestId: c.requestId } })).toEqual(first);
    const rollups = { where: { buyerUserId: BigInt(replayBuyer) } };
    const daily = await db.usageDailyRollup.findMany(rollups);
    const hourly = await db.usageHourlyRollup.findMany(rollups);
    expect(daily.map((r) => [r.calls, r.inputTokens, r.outputTokens])).toEqual([[1n, 10n, 10n]]);
    expect(hourly.map((r) => [r.calls, r.inputTokens, r.outputTokens])).toEqual([[1n, 10n, 10n]]);
  });

  it("records a call made at the last millisecond of a month once when its capture is replayed after midnight", async () => {
    // The proxy names the call 2026-11-30T23:59:59.999Z with a UUIDv7 of that millisecond; the replay carries a
    // receivedAt past the boundary (a forged or re-read clock): it is dated by the id, the same row.
    const ms = Date.UTC(2026, 10, 30, 23, 59, 59, 999).toString(16).padStart(12, "0");
    const requestId = `${ms.slice(0, 8)}-${ms.slice(8)}-7${randomUUID().slice(15)}`;
    const resBody = openaiChatJson("month-edge-model", "x", { input: 10, output: 10 });
    const first = capture({ requestId, receivedAt: "2026-11-30T23:59:59.999Z", resBody });
    await enqueue(first);
    expect((await rowFor(requestId)).requestTimestamp.toISOString()).toBe("2026-11-30T23:59:59.999Z");
    const [replay] = packCaptureJobs([{ ...first, receivedAt: "2026-12-01T00:00:03.000Z" }], signingKey);
    await queue.add(replay!.name, replay!.data, replay!.opts);
    const jobId = replay!.opts.jobId as string;
    while ((await queue.getJobState(jobId)) !== "completed") await new Promise((r) => setTimeout(r, 25));
    const rows = await db.usageLog.findMany({ where: { requestId } });
    expect(rows.map((r) => r.requestTimestamp.toISOString())).toEqual(["2026-11-30T23:59:59.999Z"]);
    const days = await db.usageDailyRollup.findMany({
      where: {
        buyerUserId: buyerId,
        modelName: "month-edge-model",
        day: { gte: new Date("2026-11-30"), lt: new Date("2026-12-02") },
      },
    });
    expect(days.map((d) => [d.day.toISOString().slice(0, 10), Number(d.calls)])).toEqual([["2026-11-30", 1]]);
  });

  it("records error responses as rows with zero tokens", async () => {
    const c = capture({
      resBody: '{"error":{"message":"rate limited"}}',
      response: {
        status: 429,
        contentType: "application/json",
        body: {
          size: 10,
          head: b64('{"error":{"message":"rate limited"}}'),
          tail: "",
          truncated: false,
          encoding: "identity",
        },
      },
    });
    await enqueue(c);
    const row = await rowFor(c.requestId);
    expect(row.statusCode).toBe(429);
    expect(row.totalTokens).toBe(0);
    expect(row.tokenCost?.toFixed(10)).toBe("0.0000000000");
  });

  it("records a malformed upstream body as a parse failure, not a lost call", async () => {
    const c = capture({ resBody: "<html><body>upstream exploded</body></html>", contentType: "text/html" });
    await enqueue(c);
    const row = await rowFor(c.requestId);
    expect(row.usageSource).toBe("none");
    expect(row.parseError).toBeTruthy();
    expect(row.totalTokens).toBe(0);
  });

  it("meters compression bombs within bounds: a request's model from its head, a response as a parse failure", async () => {
    const bomb = (prefix: string) =>
      gzipSync(Buffer.concat([Buffer.from(prefix), Buffer.alloc(100 * 1024 * 1024, 97)])).toString("base64");
    const gz = (b64body: string) => ({
      size: 1,
      head: b64body,
      tail: "",
      truncated: false,
      encoding: "gzip",
    });
    const requestBomb = capture({ resBody: openaiChatJson("gpt-4", "x", { input: 3, output: 4 }) });
    requestBomb.request.body = gz(bomb('{"model":"gpt-4","messages":"'));
    const responseBomb = capture({});
    responseBomb.response.body = gz(bomb('{"model":"gpt-4","choices":"'));
    await enqueue(requestBomb, responseBomb);
    const r1 = await rowFor(requestBomb.requestId, 30_000);
    expect(r1.totalTokens).toBe(7);
    expect(r1.modelName).toBe("gpt-4");
    const r2 = await rowFor(responseBomb.requestId, 30_000);
    expect(r2.usageSource).toBe("none");
    expect(r2.parseError).toMatch(/exceeds/);
  });

  it("falls back to the regex rules for a cut-off JSON body", async () => {
    const c = capture({
      resBody: '{"id": "x", "model": "gpt-4", "usage": {"prompt_tokens": 11, "completion_tokens": 2',
    });
    await enqueue(c);
    const row = await rowFor(c.requestId);
    expect(row.usageSource).toBe("rule");
    expect(row.inputTokens).toBe(11);
    expect(row.outputTokens).toBe(2);
  });

  it("keeps an unknown model unpriced", async () => {
    const c = capture({ resBody: openaiChatJson("my-private-model", "x", { input: 5, output: 5 }) });
    await enqueue(c);
    const row = await rowFor(c.requestId);
    expect(row.totalTokens).toBe(10);
    expect(row.modelPriceId).toBeNull();
    // Unpriced is NULL, never a 0 that would look like a free call.
    expect(row.tokenCost).toBeNull();
    const rollup = await db.usageDailyRollup.findFirst({
      where: { buyerUserId: buyerId, modelName: "my-private-model" },
    });
    expect(rollup?.unpricedCalls).toBe(1n);
  });

  it("rejects unsigned, forged and tampered batches without metering them, and keeps them failed", async () => {
    const forged = capture({ resBody: openaiChatJson("gpt-4", "x", { input: 2_000_000, output: 1 }) });
    const payload = JSON.stringify([forged]);
    const otherKey = parseSigningKeys("f".repeat(40))[0]!;
    const genuine = signCaptureBatch(randomUUID(), payload, signingKey);
    const attempts = [
      { reason: "unsigned", data: { v: 1, kind: "batch", batchId: randomUUID(), captures: [forged] } },
      { reason: "unsigned", data: forged },
      { reason: "unknown_key", data: signCaptureBatch(randomUUID(), payload, otherKey) },
      { reason: "bad_signature", data: { ...genuine, sig: "0".repeat(64) } },
      {
        reason: "bad_signature",
        data: { ...genuine, payload: payload.replace(`"buyerId":${buyerId}`, `"buyerId":${buyerId + 1}`) },
      },
    ];
    for (const { reason, data } of attempts) {
      const jobId = randomUUID();
      await queue.add(CAPTURE_BATCH_JOB_NAME, data, { jobId, attempts: 5 });
      expect(await failedReason(jobId), reason).toContain(`rejected (${reason})`);
      expect((await queue.getJob(jobId))?.attemptsMade).toBe(1);
    }
    expect(genuine.payload).toContain(`"buyerId":${buyerId}`);
    expect(await db.usageLog.count({ where: { requestId: forged.requestId } })).toBe(0);
  });

  it("records the valid captures of a signed batch and keeps the job failed for its invalid one", async () => {
    const good = [1, 2, 3].map(() =>
      capture({ resBody: openaiChatJson("gpt-4", "x", { input: 1, output: 1 }) }),
    );
    const batchId = randomUUID();
    const payload = JSON.stringify([...good, { v: 1, requestId: "not-a-uuid" }]);
    await queue.add(CAPTURE_BATCH_JOB_NAME, signCaptureBatch(batchId, payload, signingKey), {
      jobId: batchId,
    });
    for (const c of good) await rowFor(c.requestId);
    expect(await failedReason(batchId)).toContain("captures[3]");
    expect((await queue.getJob(batchId))?.attemptsMade).toBe(1);
  });

  it("applies an operator's regex rule to the service it is scoped to, and only to it", async () => {
    const name = `acme-${randomUUID().slice(0, 8)}`;
    await db.usageRule.create({
      data: {
        name,
        apiServiceId: 77n,
        inputTokensPattern: '"tok_in":(\\d+)',
        outputTokensPattern: '"tok_out":(\\d+)',
      },
    });
    await worker.rules.reload();
    const body = '{"result":"ok","meter":{"tok_in":12,"tok_out":3},"model":"gpt-4"}';
    const scoped = capture({ serviceId: 77, path: "/acme/run", resBody: body });
    const other = capture({ serviceId: 78, path: "/acme/run", resBody: body });
    await enqueue(scoped, other);
    const row = await rowFor(scoped.requestId);
    expect(row.parser).toBe(`rule:${name}`);
    expect(row.usageSource).toBe("rule");
    expect([row.inputTokens, row.outputTokens]).toEqual([12, 3]);
    const untouched = await rowFor(other.requestId);
    expect(untouched.inputTokens).toBe(0);
    await db.usageRule.delete({ where: { name } });
  });

  it("writes many captures in batches and one row each", async () => {
    const captures = Array.from({ length: 300 }, () =>
      capture({ resBody: openaiChatJson("gpt-3.5-turbo", "x", { input: 2, output: 3 }) }),
    );
    await enqueue(...captures);
    const until = Date.now() + 25_000;
    let count = 0;
    while (Date.now() < until) {
      count = await db.usageLog.count({ where: { requestId: { in: captures.map((c) => c.requestId) } } });
      if (count === 300) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(count).toBe(300);
  });
});
