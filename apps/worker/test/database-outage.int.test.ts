import { randomUUID } from "node:crypto";
import { CAPTURE_QUEUE_NAME, type Capture, packCaptureJobs, parseSigningKeys } from "@tokenmeter/capture";
import { createDbClient } from "@tokenmeter/db";
import { openaiChatJson } from "@tokenmeter/fake-upstream";
import { startTcpRelay } from "@tokenmeter/test-support";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { pino } from "pino";
import { describe, expect, inject, it } from "vitest";
import { startMeteringWorker } from "../src/metering-worker.js";
import { createWorkerMetrics } from "../src/metrics.js";

const b64 = (s: string) => Buffer.from(s).toString("base64");
const body = (s: string) => ({
  size: s.length,
  head: b64(s),
  tail: "",
  truncated: false,
  encoding: "identity",
});

describe("PostgreSQL outage", () => {
  it("retries captures while the database is unreachable and records each once it returns", async () => {
    const databaseUrl = new URL(inject("databaseUrl"));
    const relay = await startTcpRelay(Number(databaseUrl.port || 5432));
    databaseUrl.port = String(relay.port);
    const db = createDbClient({ databaseUrl: databaseUrl.toString() });
    const check = createDbClient({ databaseUrl: inject("databaseUrl") });
    const prefix = `${inject("queuePrefix")}:pg${randomUUID().slice(0, 6)}`;
    const producer = new Redis(inject("redisUrl"), { maxRetriesPerRequest: null });
    const consumer = new Redis(inject("redisUrl"), { maxRetriesPerRequest: null });
    const queue = new Queue(CAPTURE_QUEUE_NAME, { connection: producer, prefix });
    const signingKeys = parseSigningKeys(inject("captureSigningKey"));
    const worker = await startMeteringWorker({
      db,
      connection: consumer,
      prefix,
      concurrency: 20,
      batchMaxRows: 50,
      batchMaxWaitMs: 10,
      priceRefreshMs: 60_000,
      logger: pino({ level: "silent" }),
      metrics: createWorkerMetrics(),
      signingKeys,
    });
    try {
      await relay.cut();
      const captures: Capture[] = Array.from({ length: 10 }, () => ({
        v: 1,
        requestId: randomUUID(),
        receivedAt: new Date().toISOString(),
        buyerId: 424242,
        apiKeyId: 1,
        serviceId: 1,
        serviceSlug: "svc",
        method: "POST",
        path: "/v1/chat/completions",
        request: { body: body("{}") },
        response: { status: 200, body: body(openaiChatJson("gpt-4", "x", { input: 1, output: 1 })) },
        streamed: false,
        upstreamReached: true,
        latencyMs: 1,
      }));
      // Short backoff so the test does not wait for the production schedule.
      await queue.addBulk(
        packCaptureJobs(captures, signingKeys[0]!, { maxCaptures: 1, maxBytes: 1e6 }).map((j) => ({
          ...j,
          opts: { jobId: j.opts.jobId, attempts: 50, backoff: { type: "fixed" as const, delay: 200 } },
        })),
      );
      // While the database is away, jobs fail and wait to be retried; none is lost.
      const until = Date.now() + 20_000;
      let failedAttempts = 0;
      while (Date.now() < until && failedAttempts === 0) {
        const jobs = await queue.getJobs(["delayed", "waiting", "active"]);
        failedAttempts = jobs.filter((j) => j.attemptsMade > 0).length;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(failedAttempts).toBeGreaterThan(0);
      expect(
        await check.usageLog.count({ where: { requestId: { in: captures.map((c) => c.requestId) } } }),
      ).toBe(0);

      await relay.restore();
      const ids = captures.map((c) => c.requestId);
      const done = Date.now() + 20_000;
      let count = 0;
      while (Date.now() < done) {
        count = await check.usageLog.count({ where: { requestId: { in: ids } } });
        if (count === ids.length) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(count).toBe(ids.length);
      const counts = await queue.getJobCounts("failed");
      expect(counts.failed).toBe(0);
    } finally {
      await worker.close();
      await queue.obliterate({ force: true });
      await queue.close();
      producer.disconnect();
      consumer.disconnect();
      await relay.close();
      await db.$disconnect();
      await check.$disconnect();
    }
  }, 60_000);
});
