import { randomUUID } from "node:crypto";
import { CAPTURE_QUEUE_NAME, type Capture, packCaptureJobs, parseSigningKeys } from "@tokenmeter/capture";
import { createDbClient } from "@tokenmeter/db";
import { openaiChatJson } from "@tokenmeter/fake-upstream";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { pino } from "pino";
import { describe, expect, inject, it } from "vitest";
import { startMeteringWorker } from "../src/metering-worker.js";
import { createWorkerMetrics } from "../src/metrics.js";

const b64 = (s: string) => Buffer.from(s).toString("base64");

describe("a job Redis loses while the worker records it", () => {
  it("is recorded once and logged as the benign race it is, not as an error", async () => {
    const prefix = `${inject("queuePrefix")}:v${randomUUID().slice(0, 6)}`;
    const db = createDbClient({ databaseUrl: inject("databaseUrl") });
    const producer = new Redis(inject("redisUrl"), { maxRetriesPerRequest: null });
    const consumer = new Redis(inject("redisUrl"), { maxRetriesPerRequest: null });
    const queue = new Queue(CAPTURE_QUEUE_NAME, { connection: producer, prefix });
    const logs: Array<{ level: number; msg: string }> = [];
    const logger = pino({ level: "info" }, { write: (line: string) => logs.push(JSON.parse(line)) });
    const metrics = createWorkerMetrics();
    const signingKeys = parseSigningKeys(inject("captureSigningKey"));
    // Rows wait 1.5 s for their batch: time to delete the job from under the worker, as a Redis restart would.
    const metering = await startMeteringWorker({
      db,
      connection: consumer,
      prefix,
      concurrency: 4,
      batchMaxRows: 100,
      batchMaxWaitMs: 1500,
      priceRefreshMs: 60_000,
      logger,
      metrics,
      signingKeys,
    });
    try {
      const body = openaiChatJson("gpt-3.5-turbo", "x", { input: 4, output: 6 });
      const capture: Capture = {
        v: 1,
        requestId: randomUUID(),
        receivedAt: new Date().toISOString(),
        buyerId: 1,
        apiKeyId: 1,
        serviceId: 1,
        serviceSlug: "svc",
        method: "POST",
        path: "/v1/chat/completions",
        request: { body: { size: 2, head: b64("{}"), tail: "", truncated: false, encoding: "identity" } },
        response: {
          status: 200,
          body: { size: body.length, head: b64(body), tail: "", truncated: false, encoding: "identity" },
        },
        streamed: false,
        upstreamReached: true,
        latencyMs: 1,
      };
      const [job] = packCaptureJobs([capture], signingKeys[0]!);
      const active = new Promise((r) => metering.worker.once("active", r));
      await queue.add(job!.name, job!.data, job!.opts);
      await active;
      await producer.del(queue.toKey(job!.opts.jobId));

      const until = Date.now() + 10_000;
      while (Date.now() < until) {
        const vanished = (await metrics.jobsVanished.get()).values[0]?.value ?? 0;
        if (vanished > 0) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(await db.usageLog.count({ where: { requestId: capture.requestId } })).toBe(1);
      expect((await metrics.jobsVanished.get()).values[0]?.value).toBeGreaterThan(0);
      expect(logs.filter((l) => l.level >= 50)).toEqual([]);
      expect(logs.some((l) => l.msg.includes("after its rows were recorded"))).toBe(true);
    } finally {
      await metering.close();
      await queue.obliterate({ force: true }).catch(() => undefined);
      await queue.close();
      producer.disconnect();
      consumer.disconnect();
      await db.$disconnect();
    }
  });
});
