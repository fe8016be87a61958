import { signedCaptureBatchSchema } from "./capture-signing.js";

/** The BullMQ queue that carries captures from the proxy to the worker. */
export const CAPTURE_QUEUE_NAME = "captures";
/** The job name of a signed batch of captures (what the proxy sends). The job id is the batch id. */
export const CAPTURE_BATCH_JOB_NAME = "capture-batch";
/** Default queue prefix; hash-tagged so every key of the queue lands in one Redis Cluster slot. */
export const DEFAULT_QUEUE_PREFIX = "{tokenmeter}";

/** Default options of a capture job: retried with backoff, kept a while when done, kept when failed. */
export const CAPTURE_JOB_OPTIONS = {
  // With exponential backoff from 1 s, 16 attempts span about 18 hours of database outage.
  attempts: 16,
  backoff: { type: "exponential", delay: 1000 },
  removeOnComplete: { age: 3600, count: 50_000 },
  removeOnFail: { age: 14 * 24 * 3600 },
} as const;

/**
 * The job catalogue: every job name the capture queue carries, and the schema of its payload. The worker
 * dispatches on the name; a name not listed here fails unrecoverably. A new kind of job is a new entry.
 */
export const CAPTURE_JOBS = {
  [CAPTURE_BATCH_JOB_NAME]: signedCaptureBatchSchema,
} as const;

/** A job name of the catalogue. */
export type CaptureJobName = keyof typeof CAPTURE_JOBS;

/** Whether `name` is in the catalogue. */
export function isCaptureJobName(name: string): name is CaptureJobName {
  return Object.hasOwn(CAPTURE_JOBS, name);
}
