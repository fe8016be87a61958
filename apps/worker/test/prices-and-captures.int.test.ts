import { randomUUID } from "node:crypto";
import { CAPTURE_QUEUE_NAME, type Capture, packCaptureJobs, parseSigningKeys } from "@tokenmeter/capture";
import { createDbClient, type DbClient, notifyConfigChange } from "@tokenmeter/db";
import { syncBuiltinPrices, unpackCapture } from "@tokenmeter/metering";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type MeteringWorker, startMeteringWorker } from "../src/metering-worker.js";
import { createWorkerMetrics } from "../src/metrics.js";
import { testCapture as fakeCapture } from "./test-capture.js";

let db: DbClient;
let queue: Queue;
let worker: MeteringWorker;
let producer: Redis;
let consumer: Redis;
const metrics = createWorkerMetrics();
const tag = randomUUID().slice(0, 8);
const models: string[] = [];
const serviceIds: bigint[] = [];

const model = (name: string) => {
  const m = `${name}-${tag}`;
  models.push(m);
  return m;
};

const openAiJson = (modelName: string, input: number, output: number) =>
  JSON.stringify({
    id: "chatcmpl-1",
    object: "chat.completion",
    model: modelName,
    choices: [{ index: 0, message: { role: "assistant", content: "ok" }, finish_reason: "stop" }],
    usage: { prompt_tokens: input, completion_tokens: output, total_tokens: input + output },
  });

const signingKeys = parseSigningKeys(inject("captureSigningKey"));

/** Every capture this file sends: its retained captures are deleted at the end, and no other file's. */
const requestIds: string[] = [];

async function enqueue(...captures: Capture[]) {
  requestIds.push(...captures.map((c) => c.requestId));
  await queue.addBulk(packCaptureJobs(captures, signingKeys[0]!));
}

async function rowFor(requestId: string, ms = 30_000) {
  const until = Date.now() + ms;
  for (;;) {
    const row = await db.usageLog.findFirst({ where: { requestId } });
    if (row) return row;
    if (Date.now() > until) throw new Error(`no row for ${requestId}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Adds a custom price. "announce": the way the admin API does (the row, its counter and its NOTIFY in one
 * transaction); "counter": the counter moves but the NOTIFY has not arrived yet; "silent": neither (a price
 * written behind the admin API's back).
 */
async function putPrice(
  name: string,
  input: string,
  output: string,
  effectiveFrom: Date,
  how: "announce" | "counter" | "silent" = "announce",
) {
  await db.$transaction(async (tx) => {
    await tx.modelPrice.create({
      data: { model: name, source: "custom", inputCostPer1k: input, outputCostPer1k: output, effectiveFrom },
    });
    if (how === "announce") await notifyConfigChange(tx, "prices");
    if (how === "counter")
      await tx.$executeRaw`UPDATE config_versions SET version = version + 1 WHERE topic = 'prices'`;
  });
}

beforeAll(async () => {
  const prefix = `${inject("queuePrefix")}:pc${tag}`;
  db = createDbClient({ databaseUrl: inject("databaseUrl") });
  await syncBuiltinPrices(db);
  producer = new Redis(inject("redisUrl"), { maxRetriesPerRequest: null });
  consumer = new Redis(inject("redisUrl"), { maxRetriesPerRequest: null });
  queue = new Queue(CAPTURE_QUEUE_NAME, { connection: producer, prefix });
  worker = await startMeteringWorker({
    db,
    connection: consumer,
    prefix,
    concurrency: 20,
    batchMaxRows: 100,
    batchMaxWaitMs: 5,
    // Neither the periodic reload nor a second miss re-read may happen during a test: what is seen comes
    // from the announcement or the one re-read under test.
    priceRefreshMs: 600_000,
    priceMissRecheckMs: 600_000,
    listenDatabaseUrl: inject("databaseUrl"),
    logger: pino({ level: "silent" }),
    metrics,
    signingKeys,
  });
  await worker.listening;
});

afterAll(async () => {
  await worker.close();
  await queue.obliterate({ force: true });
  await queue.close();
  producer.disconnect();
  consumer.disconnect();
  // Only this file's: other files running beside it keep captures of their own in the shared database.
  await db.usageCapture.deleteMany({ where: { requestId: { in: requestIds } } });
  await db.modelPrice.deleteMany({ where: { model: { in: models } } });
  await db.apiService.deleteMany({ where: { id: { in: serviceIds } } });
  await db.$disconnect();
});

describe("price changes", () => {
  it("prices the next capture with a price announced a moment before", async () => {
    const name = model("announced");
    await putPrice(name, "1", "1", new Date(Date.now() - 3_600_000));
    await worker.prices.reload();
    // The new version, then at once a call: without the announcement the worker would still price at 1/1K.
    await putPrice(name, "2", "4", new Date());
    const c = fakeCapture({ path: "/v1/chat/completions", responseBody: openAiJson(name, 1000, 1000) });
    await enqueue(c);
    const row = await rowFor(c.requestId);
    // 1000 × 2/1K + 1000 × 4/1K
    expect(row.tokenCost?.toFixed()).toBe("6");
  });

  it("prices a call with a price committed before it even while the announcement is still on its way", async () => {
    const name = model("late-notice");
    await putPrice(name, "1", "1", new Date(Date.now() - 3_600_000));
    await worker.prices.reload();
    // How the worker learnt of it: by the counter, or by another file's "prices" announcement that reached it
    // first (a reload then loads every price, this one too). One of the two must have moved.
    const learnt = async () => {
      const of = async (counter: typeof metrics.configCaughtUp) =>
        (await counter.get()).values.find((v) => v.labels.topic === "prices")?.value ?? 0;
      return (await of(metrics.configCaughtUp)) + (await of(metrics.configChanges));
    };
    const before = await learnt();
    // The model is known (no miss re-read) and no NOTIFY comes: only the counter says the price moved.
    await putPrice(name, "2", "4", new Date(), "counter");
    const c = fakeCapture({ path: "/v1/chat/completions", responseBody: openAiJson(name, 1000, 1000) });
    await enqueue(c);
    expect((await rowFor(c.requestId)).tokenCost?.toFixed()).toBe("6");
    expect(await learnt()).toBeGreaterThan(before);
  });

  it("prices a call before a future price's time at the current price, and from that time on at the new one", async () => {
    const name = model("future");
    const now = Date.now();
    await putPrice(name, "1", "1", new Date(now - 60_000));
    await putPrice(name, "5", "5", new Date(now + 3_600_000));
    const before = fakeCapture({ path: "/v1/chat/completions", responseBody: openAiJson(name, 1000, 0) });
    const after = fakeCapture({
      path: "/v1/chat/completions",
      responseBody: openAiJson(name, 1000, 0),
      receivedAt: new Date(now + 3_600_001).toISOString(),
    });
    await enqueue(before, after);
    expect((await rowFor(before.requestId)).tokenCost?.toFixed()).toBe("1");
    expect((await rowFor(after.requestId)).tokenCost?.toFixed()).toBe("5");
  });

  it("re-reads the prices once for a model it has none for, then writes a flood of it unpriced with no query", async () => {
    const known = model("missed-notice");
    // Added without an announcement (as if it had been lost): only the re-read on a miss can find it.
    await putPrice(known, "3", "3", new Date(Date.now() - 1000), "silent");
    const found = fakeCapture({ path: "/v1/chat/completions", responseBody: openAiJson(known, 1000, 0) });
    await enqueue(found);
    expect((await rowFor(found.requestId)).tokenCost?.toFixed()).toBe("3");

    const unknown = model("never-priced");
    // Counted by this worker's own re-reads: other test files' price changes may reload its book meanwhile.
    const rereads = async () =>
      (await metrics.missRereads.get()).values.find((v) => v.labels.table === "prices")?.value ?? 0;
    const rereadsBefore = await rereads();
    const flood = Array.from({ length: 30 }, () =>
      fakeCapture({ path: "/v1/chat/completions", responseBody: openAiJson(unknown, 10, 10) }),
    );
    await enqueue(...flood);
    for (const c of flood) {
      const row = await rowFor(c.requestId);
      expect(row.tokenCost).toBeNull();
      expect(row.modelPriceId).toBeNull();
    }
    expect((await rereads()) - rereadsBefore).toBe(1);
    const series = (await metrics.unpriced.get()).values.find((v) => v.labels.model === unknown);
    expect(series?.value).toBe(30);
  });

  it("prices a service's deployment name as the model it is an alias of, and keeps the reported name", async () => {
    // Created after the worker started: the unknown service is read once before metering its call.
    const service = await db.apiService.create({
      data: {
        name: `azure-${tag}`,
        slug: `azure-${tag}`,
        upstreamUrl: "http://127.0.0.1:9/",
        modelAliases: { "My-GPT4-Deployment": "gpt-4" },
      },
    });
    serviceIds.push(service.id);
    const c = fakeCapture({
      serviceId: Number(service.id),
      path: "/openai/deployments/my-gpt4-deployment/chat/completions",
      responseBody: openAiJson("my-gpt4-deployment", 1000, 500),
    });
    await enqueue(c);
    const row = await rowFor(c.requestId);
    expect(row.modelName).toBe("my-gpt4-deployment");
    expect(row.tokenCost?.toFixed()).toBe("0.06");
  });
});

describe("retained captures", () => {
  it("keeps the capture of a call whose usage could not be read, and not of a priced one", async () => {
    const unreadable = fakeCapture({
      path: "/v1/custom",
      responseBody: '{"result":"ok","meter":{"tin":12,"tout":3}}',
    });
    const fine = fakeCapture({ path: "/v1/chat/completions", responseBody: openAiJson("gpt-4", 1, 1) });
    const failed = fakeCapture({ path: "/v1/custom", responseBody: '{"error":"busy"}', status: 503 });
    await enqueue(unreadable, fine, failed);
    const row = await rowFor(unreadable.requestId);
    await rowFor(fine.requestId);
    await rowFor(failed.requestId);
    expect(row.usageSource).toBe("none");
    const kept = await db.usageCapture.findUnique({ where: { requestId: unreadable.requestId } });
    expect(kept).not.toBeNull();
    expect(await unpackCapture(Buffer.from(kept!.capture))).toEqual(unreadable);
    expect(
      await db.usageCapture.count({ where: { requestId: { in: [fine.requestId, failed.requestId] } } }),
    ).toBe(0);
  });

  it("deletes captures older than the retention", async () => {
    const young = fakeCapture({ path: "/v1/custom", responseBody: "<html>no usage</html>" });
    const old = fakeCapture({ path: "/v1/custom", responseBody: "<html>no usage</html>" });
    await enqueue(young, old);
    await rowFor(young.requestId);
    await rowFor(old.requestId);
    // Aged by hand, and judged on this file's own captures only: the run's return counts every file's.
    const aged = async (c: { requestId: string }, days: number) =>
      db.usageCapture.update({
        where: { requestId: c.requestId },
        data: { createdAt: new Date(Date.now() - days * 86_400_000) },
      });
    await aged(young, 6);
    await aged(old, 8);
    await worker.expiry.run();
    const left = await db.usageCapture.findMany({
      where: { requestId: { in: [young.requestId, old.requestId] } },
      select: { requestId: true },
    });
    expect(left.map((c) => c.requestId)).toEqual([young.requestId]);
  });
});
