import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { captureBatchV1Schema, packCaptureJobs } from "./capture-batch.js";
import type { Capture } from "./capture-schema.js";

function capture(bodyBytes = 10): Capture {
  const b = {
    size: bodyBytes,
    head: "x".repeat(bodyBytes),
    tail: "",
    truncated: false,
    encoding: "identity",
  };
  return {
    v: 1,
    requestId: randomUUID(),
    receivedAt: new Date().toISOString(),
    buyerId: 1,
    apiKeyId: 1,
    serviceId: 1,
    serviceSlug: "s",
    method: "POST",
    path: "/v1/x",
    request: { body: b },
    response: { status: 200, body: b },
    streamed: false,
    upstreamReached: true,
    latencyMs: 1,
  };
}

describe("packCaptureJobs", () => {
  it("packs captures into batch jobs of at most maxCaptures, keeping every capture once and in order", () => {
    const captures = Array.from({ length: 601 }, () => capture());
    const jobs = packCaptureJobs(captures, { maxCaptures: 250, maxBytes: 10_000_000 });
    expect(jobs.map((j) => j.data.captures.length)).toEqual([250, 250, 101]);
    expect(jobs.flatMap((j) => j.data.captures)).toEqual(captures);
    for (const j of jobs) {
      expect(j.opts.jobId).toBe(j.data.batchId);
      expect(captureBatchV1Schema.safeParse(j.data).success).toBe(true);
    }
  });

  it("starts a new job before the byte limit is passed, and gives an oversized capture its own job", () => {
    const jobs = packCaptureJobs([capture(100), capture(100), capture(5000), capture(100)], {
      maxCaptures: 100,
      maxBytes: 2000,
    });
    expect(jobs.map((j) => j.data.captures.length)).toEqual([2, 1, 1]);
  });

  it("makes no job for no captures", () => {
    expect(packCaptureJobs([])).toEqual([]);
  });
});
