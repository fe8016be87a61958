import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { packCaptureJobs } from "./capture-batch.js";
import type { Capture } from "./capture-schema.js";
import { openCaptureBatch, parseSigningKeys } from "./capture-signing.js";

const keys = parseSigningKeys("k".repeat(32));
const key = keys[0]!;

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

const opened = (data: unknown) => {
  const batch = openCaptureBatch(data, keys);
  if (!batch.ok) throw new Error(batch.detail);
  return batch.captures;
};

describe("packCaptureJobs", () => {
  it("packs captures into signed batch jobs of at most maxCaptures, keeping every capture once and in order", () => {
    const captures = Array.from({ length: 601 }, () => capture());
    const jobs = packCaptureJobs(captures, key, { maxCaptures: 250, maxBytes: 10_000_000 });
    expect(jobs.map((j) => opened(j.data).length)).toEqual([250, 250, 101]);
    expect(jobs.flatMap((j) => opened(j.data))).toEqual(captures);
    for (const j of jobs) expect(j.opts.jobId).toBe(j.data.batchId);
  });

  it("starts a new job before the byte limit is passed, and gives an oversized capture its own job", () => {
    const jobs = packCaptureJobs([capture(100), capture(100), capture(5000), capture(100)], key, {
      maxCaptures: 100,
      maxBytes: 2000,
    });
    expect(jobs.map((j) => opened(j.data).length)).toEqual([2, 1, 1]);
  });

  it("makes no job for no captures", () => {
    expect(packCaptureJobs([], key)).toEqual([]);
  });
});
