import { CAPTURE_QUEUE_NAME } from "@tokenmeter/capture";
import { type PrivateRedis, startPrivateRedis } from "@tokenmeter/test-support";
import { Worker } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ProxyHarness, startProxyHarness, waitFor } from "./harness.js";

// A private Redis we can kill: the shared one is never stopped. It has no persistence, so a restart comes back
// empty: only the proxy's journal can bring captures back.
let redis: PrivateRedis;
let h: ProxyHarness;
beforeAll(async () => {
  redis = await startPrivateRedis();
  h = await startProxyHarness({ REDIS_URL: redis.url, JOURNAL_ACK_POLL_MS: "50", JOURNAL_SEGMENT_MS: "50" });
});
afterAll(async () => {
  await h.close();
  await redis.stop();
});

async function call(): Promise<string> {
  const res = await fetch(`${h.base}/${h.slug}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${h.key}` },
    body: JSON.stringify({ model: "gpt-4" }),
  });
  expect(res.status).toBe(200);
  await res.arrayBuffer();
  return res.headers.get("x-request-id")!;
}

type Health = {
  redis: string;
  journal_segments: number;
  journal_unacked_captures: number;
  redis_persistence: string;
};
const health = async () => (await (await fetch(`${h.base}/healthz`)).json()) as Health;

/** A stand-in for the metering worker: a real BullMQ worker that completes every job, and the ids it saw. */
function completingWorker(url: string) {
  const seen = new Set<string>();
  const connection = new Redis(url, { maxRetriesPerRequest: null });
  connection.on("error", () => undefined);
  const worker = new Worker(
    CAPTURE_QUEUE_NAME,
    async (job) => {
      for (const c of JSON.parse(job.data.payload) as Array<{ requestId: string }>) seen.add(c.requestId);
    },
    { connection, prefix: h.queue.opts.prefix, concurrency: 8 },
  );
  worker.on("error", () => undefined);
  return {
    seen,
    async close() {
      await worker.close();
      connection.disconnect();
    },
  };
}

describe("Redis outage", () => {
  it("keeps serving, journals the captures and re-sends them when Redis comes back empty", async () => {
    const before = await call();
    const jobOf = async (id: string) =>
      (await h.queue.getJobs(["waiting", "active", "completed"])).find((j) =>
        (JSON.parse(j.data.payload) as Array<{ requestId: string }>).some((c) => c.requestId === id),
      )?.id;
    const batchId = await waitFor(() => jobOf(before));

    await redis.stop();
    const during: string[] = [];
    for (let i = 0; i < 20; i++) during.push(await call());
    const down = await health();
    expect(down.redis).toBe("down");
    expect(down.journal_unacked_captures).toBeGreaterThanOrEqual(20);

    await redis.start();
    const ids = await waitFor(async () => {
      const found = new Set((await h.captures()).map((c) => c.requestId));
      return during.every((id) => found.has(id)) ? found : undefined;
    }, 15_000);
    expect(during.filter((id) => ids.has(id))).toHaveLength(20);
    // The first call's batch was in Redis before the restart and lost with it: re-sent too, under its own id
    // (so re-sending a job Redis still holds is a no-op).
    expect(await waitFor(() => jobOf(before))).toBe(batchId);
    expect((await health()).redis_persistence).toBe("none");

    // Nothing leaves the journal before a worker has recorded it; once one has, the journal empties.
    expect((await health()).journal_segments).toBeGreaterThan(0);
    const worker = completingWorker(redis.url);
    try {
      await waitFor(async () => ((await health()).journal_segments === 0 ? true : undefined), 15_000);
      expect([before, ...during].every((id) => worker.seen.has(id))).toBe(true);
      expect((await health()).journal_unacked_captures).toBe(0);
    } finally {
      await worker.close();
    }
  }, 45_000);
});
