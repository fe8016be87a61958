import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, describe, expect, inject, it } from "vitest";
import { packCaptureJobs } from "../src/capture-batch.js";
import { createCaptureConsumer, createCaptureProducer } from "../src/capture-queue.js";
import type { Capture } from "../src/capture-schema.js";
import { parseSigningKeys } from "../src/capture-signing.js";
import { CAPTURE_BATCH_JOB_NAME, CAPTURE_JOB_OPTIONS } from "../src/queue.js";

const producerRedis = new Redis(inject("redisUrl"), { maxRetriesPerRequest: 1 });
const consumerRedis = new Redis(inject("redisUrl"), { maxRetriesPerRequest: null });
const quiet = { warn: () => undefined, debug: () => undefined };
const [key] = parseSigningKeys("k".repeat(32));

const capture = (): Capture => {
  const body = { size: 0, head: "", tail: "", truncated: false, encoding: "identity" };
  return {
    v: 1,
    requestId: randomUUID(),
    receivedAt: new Date().toISOString(),
    buyerId: 1,
    apiKeyId: 1,
    serviceId: 1,
    serviceSlug: "s",
    method: "POST",
    path: "/v1/chat/completions",
    request: { body },
    response: { status: 200, body },
    streamed: false,
    upstreamReached: true,
    latencyMs: 1,
  };
};

afterAll(async () => {
  producerRedis.disconnect();
  consumerRedis.disconnect();
});

describe("the capture queue contract", () => {
  it("dispatches each job to the handler of its name and fails names outside the catalogue for good", async () => {
    const prefix = `${inject("queuePrefix")}:cq-${randomUUID().slice(0, 8)}`;
    const producer = createCaptureProducer({ connection: producerRedis, prefix, logger: quiet });
    const jobs = packCaptureJobs([capture(), capture()], key as NonNullable<typeof key>);
    await producer.enqueueCaptures(jobs);
    // Anything else that can write to the queue: a name the catalogue does not list.
    await producer.queue.add("capture" as typeof CAPTURE_BATCH_JOB_NAME, { v: 1 } as never, {
      jobId: "stray",
    });

    const consumer = createCaptureConsumer({
      connection: consumerRedis,
      prefix,
      concurrency: 2,
      handlers: {
        [CAPTURE_BATCH_JOB_NAME]: async (job) => {
          expect(job.name).toBe(CAPTURE_BATCH_JOB_NAME);
        },
      },
      logger: quiet,
      onError: () => undefined,
    });
    // Listeners attach in the same turn: the worker fetches its first job only after it.
    const seen: string[] = [];
    const failed = new Promise<{ id: string | undefined; attempts: number; reason: string }>((resolve) => {
      consumer.on("failed", (job, error) =>
        resolve({ id: job?.id, attempts: job?.attemptsMade ?? -1, reason: error.message }),
      );
    });
    const done = new Promise<void>((resolve) => {
      consumer.on("completed", (job) => {
        seen.push(job.id as string);
        if (seen.length === jobs.length) resolve();
      });
    });
    try {
      await done;
      expect(seen.sort()).toEqual(jobs.map((j) => j.opts.jobId).sort());
      const stray = await failed;
      expect(stray).toMatchObject({ id: "stray", reason: expect.stringContaining('unknown job "capture"') });
      // Unrecoverable: not retried, kept in the failed set.
      expect(await producer.queue.getJobState("stray")).toBe("failed");
      expect(stray.attempts).toBe(1);
      // The producer's default options are the contract's.
      const added = await producer.queue.add(CAPTURE_BATCH_JOB_NAME, jobs[0]?.data as never);
      expect(added.opts.attempts).toBe(CAPTURE_JOB_OPTIONS.attempts);
    } finally {
      await consumer.close();
      await producer.queue.obliterate({ force: true });
      await producer.close();
    }
  });
});
