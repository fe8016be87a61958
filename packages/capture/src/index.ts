export { type CapturedBytes, capturedBytes, emptyBody, HeadTailBuffer } from "./body-capture.js";
export {
  approxCaptureBytes,
  type BatchLimits,
  type CaptureBatchV1,
  type CaptureJob,
  captureBatchJob,
  captureBatchV1Schema,
  DEFAULT_BATCH_LIMITS,
  packCaptureJobs,
  packCaptures,
} from "./capture-batch.js";
export {
  type BodyCapture,
  bodyCaptureSchema,
  type Capture,
  type CaptureErrorCode,
  type CaptureV1,
  captureErrorCodeSchema,
  captureSchema,
  captureV1Schema,
} from "./capture-schema.js";
export {
  CAPTURE_BATCH_JOB_NAME,
  CAPTURE_JOB_NAME,
  CAPTURE_JOB_OPTIONS,
  CAPTURE_QUEUE_NAME,
  captureJobId,
  DEFAULT_QUEUE_PREFIX,
} from "./queue.js";
export {
  type RedisCommandClient,
  type RedisPersistence,
  redisPersistence,
  redisPersistenceWarning,
} from "./redis-persistence.js";
