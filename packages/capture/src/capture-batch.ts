import { randomUUID } from "node:crypto";
import { z } from "zod";
import type { Capture } from "./capture-schema.js";
import { CAPTURE_BATCH_JOB_NAME, CAPTURE_JOB_OPTIONS } from "./queue.js";

/**
 * Version 1 of a batch job: the captures one proxy flushed together. One BullMQ job per flush instead of one
 * per call cuts the proxy's and Redis's cost per call several-fold. Each capture is validated on its own by
 * the worker, so one bad capture never holds back the others.
 */
export const captureBatchV1Schema = z.object({
  v: z.literal(1),
  kind: z.literal("batch"),
  batchId: z.uuid(),
  captures: z.array(z.unknown()).min(1).max(10_000),
});
export type CaptureBatchV1 = z.infer<typeof captureBatchV1Schema>;

/** Limits on one batch job: captures and approximate payload bytes. */
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

/** A BullMQ job ready for `addBulk`. */
export interface CaptureJob {
  name: string;
  data: CaptureBatchV1;
  opts: typeof CAPTURE_JOB_OPTIONS & { jobId: string };
}

/** Splits captures into batches within the limits, in order (a capture larger than maxBytes gets its own). */
export function packCaptures(
  captures: readonly Capture[],
  limits: BatchLimits = DEFAULT_BATCH_LIMITS,
): Capture[][] {
  const batches: Capture[][] = [];
  let current: Capture[] = [];
  let bytes = 0;
  for (const c of captures) {
    const size = approxCaptureBytes(c);
    if (current.length >= limits.maxCaptures || (current.length > 0 && bytes + size > limits.maxBytes)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(c);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/** The batch job for `captures` under a given batch id (a re-sent batch keeps its id, so Redis dedupes it). */
export function captureBatchJob(batchId: string, captures: Capture[]): CaptureJob {
  return {
    name: CAPTURE_BATCH_JOB_NAME,
    data: { v: 1, kind: "batch", batchId, captures },
    opts: { ...CAPTURE_JOB_OPTIONS, jobId: batchId },
  };
}

/** Packs captures into batch jobs within the limits, each with a new batch id. */
export function packCaptureJobs(
  captures: readonly Capture[],
  limits: BatchLimits = DEFAULT_BATCH_LIMITS,
): CaptureJob[] {
  return packCaptures(captures, limits).map((batch) => captureBatchJob(randomUUID(), batch));
}
