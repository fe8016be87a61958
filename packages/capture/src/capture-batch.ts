import { randomUUID } from "node:crypto";
import type { Capture } from "./capture-schema.js";
import { type CaptureSigningKey, type SignedCaptureBatch, signCaptureBatch } from "./capture-signing.js";
import { CAPTURE_BATCH_JOB_NAME, CAPTURE_JOB_OPTIONS } from "./queue.js";

/** Limits on one batch job: captures and payload bytes. */
export interface BatchLimits {
  maxCaptures: number;
  maxBytes: number;
}

/** Defaults: small enough for Redis and one worker transaction, large enough to amortise the enqueue. */
export const DEFAULT_BATCH_LIMITS: BatchLimits = { maxCaptures: 250, maxBytes: 1024 * 1024 };

/** Approximate serialised size of a capture: its base64 bodies dominate. */
export function approxCaptureBytes(c: Capture): number {
  const req = c.request.body;
  const res = c.response.body;
  return 600 + c.path.length + req.head.length + req.tail.length + res.head.length + res.tail.length;
}

/** A BullMQ job ready for `addBulk`: one signed batch of captures, its job id the batch id. */
export interface CaptureJob {
  name: typeof CAPTURE_BATCH_JOB_NAME;
  data: SignedCaptureBatch;
  opts: typeof CAPTURE_JOB_OPTIONS & { jobId: string };
}

/**
 * Packs captures into signed batch jobs within the limits (a capture larger than maxBytes gets a job of its
 * own). Each capture is serialised once; a batch's payload is the JSON array of those strings.
 */
export function packCaptureJobs(
  captures: readonly Capture[],
  key: CaptureSigningKey,
  limits: BatchLimits = DEFAULT_BATCH_LIMITS,
): CaptureJob[] {
  return packSerialisedCaptures(
    captures.map((c) => JSON.stringify(c)),
    key,
    limits,
  );
}

/** Like packCaptureJobs, for captures already serialised as JSON (e.g. read back from disk). */
export function packSerialisedCaptures(
  serialised: readonly string[],
  key: CaptureSigningKey,
  limits: BatchLimits = DEFAULT_BATCH_LIMITS,
): CaptureJob[] {
  return splitSerialisedCaptures(serialised, limits).map((batch) =>
    captureBatchJob(randomUUID(), batch, key),
  );
}

/** Splits serialised captures into batches within the limits, in order (one larger than maxBytes stands alone). */
export function splitSerialisedCaptures(
  serialised: readonly string[],
  limits: BatchLimits = DEFAULT_BATCH_LIMITS,
): string[][] {
  const batches: string[][] = [];
  let current: string[] = [];
  let bytes = 0;
  for (const c of serialised) {
    if (current.length >= limits.maxCaptures || (current.length > 0 && bytes + c.length > limits.maxBytes)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(c);
    bytes += c.length + 1;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/**
 * The signed batch job for serialised captures under a given batch id: a batch re-sent under its own id is a
 * no-op for Redis while Redis still holds it.
 */
export function captureBatchJob(
  batchId: string,
  serialised: readonly string[],
  key: CaptureSigningKey,
): CaptureJob {
  return {
    name: CAPTURE_BATCH_JOB_NAME,
    data: signCaptureBatch(batchId, `[${serialised.join(",")}]`, key),
    opts: { ...CAPTURE_JOB_OPTIONS, jobId: batchId },
  };
}
