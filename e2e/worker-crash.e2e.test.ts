import { randomUUID } from "node:crypto";
import { CAPTURE_QUEUE_NAME, type Capture, packCaptureJobs, parseSigningKeys } from "@tokenmeter/capture";
import { createDbClient } from "@tokenmeter/db";
import { openaiChatJson } from "@tokenmeter/fake-upstream";
import { startApp } from "@tokenmeter/test-support";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { describe, expect, inject, it } from "vitest";

const b64 = (s: string) => Buffer.from(s).toString("base64");
const body = (s: string) => ({
  size: s.length,
  head: b64(s),
  tail: "",
  truncated: false,
  encoding: "identity",
});

describe("worker crash", () => {
  it("records every capture exactly once when a worker is killed mid-batch and another takes over", async () => {
    const prefix = `${inject("queuePrefix")}:crash${randomUUID().slice(0, 6)}`;
    const buyerId = 500_000 + Math.floor(Math.random() * 99_999);
    const env = {
      DATABASE_URL: inject("databaseUrl"),
      REDIS_URL: inject("redisUrl"),
      QUEUE_PREFIX: prefix,
      CAPTURE_SIGNING_KEY: inject("captureSigningKey"),
      WORKER_PORT: "0",
      LOG_LEVEL: "info",
      WORKER_LOCK_MS: "1000",
      BATCH_MAX_ROWS: "100",
    };
    const redis = new Redis(inject("redisUrl"), { maxRetriesPerRequest: null });
    const queue = new Queue(CAPTURE_QUEUE_NAME, { connection: redis, prefix });
    const db = createDbClient({ databaseUrl: inject("databaseUrl") });
    const n = 3000;
    const response = body(openaiChatJson("gpt-3.5-turbo", "x", { input: 10, output: 5 }));
    const captures: Capture[] = Array.from({ length: n }, () => ({
      v: 1,
      requestId: randomUUID(),
      receivedAt: new Date().toISOString(),
      buyerId,
      apiKeyId: 1,
      serviceId: 1,
      serviceSlug: "svc",
      method: "POST",
      path: "/v1/chat/completions",
      request: { body: body("{}") },
      response: { status: 200, body: response },
      streamed: false,
      upstreamReached: true,
      latencyMs: 1,
    }));
    // Small batches, so the worker is killed with many jobs in flight.
    const [key] = parseSigningKeys(env.CAPTURE_SIGNING_KEY);
    await queue.addBulk(packCaptureJobs(captures, key!, { maxCaptures: 10, maxBytes: 1e6 }));
    const rows = () => db.usageLog.count({ where: { buyerUserId: buyerId } });
    try {
      const first = await startApp("worker", env);
      // Kill it (no chance to finish or clean up) once it has written some rows but not all.
      const until = Date.now() + 20_000;
      while ((await rows()) === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
      first.child.kill("SIGKILL");
      await new Promise((r) => first.child.once("exit", r));
      const atCrash = await rows();
      expect(atCrash).toBeGreaterThan(0);
      expect(atCrash).toBeLessThan(n);

      const second = await startApp("worker", env);
      const done = Date.now() + 30_000;
      let count = 0;
      while (Date.now() < done) {
        count = await rows();
        if (count === n) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(count).toBe(n);
      const rollups = await db.usageDailyRollup.findMany({ where: { buyerUserId: buyerId } });
      expect(rollups.reduce((s, r) => s + r.calls, 0n)).toBe(BigInt(n));
      expect(rollups.reduce((s, r) => s + r.totalTokens, 0n)).toBe(BigInt(n * 15));
      expect(await second.stop()).toBe(0);
    } finally {
      await queue.obliterate({ force: true });
      await queue.close();
      redis.disconnect();
      await db.$disconnect();
    }
  }, 90_000);
});
