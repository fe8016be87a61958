export { type CapturedBytes, capturedBytes, emptyBody, HeadTailBuffer } from "./body-capture.js";
export {
  approxCaptureBytes,
  type BatchLimits,
  type CaptureJob,
  captureBatchJob,
  DEFAULT_BATCH_LIMITS,
  packCaptureJobs,
  packSerialisedCaptures,
  splitSerialisedCaptures,
} from "./capture-batch.js";
export {
  type CaptureConsumerOptions,
  type CaptureJobHandlers,
  type CaptureProducer,
  type CaptureQueueKeys,
  type CaptureQueueOptions,
  createCaptureConsumer,
  createCaptureProducer,
  type QueueLogger,
} from "./capture-queue.js";
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
  type BatchRejection,
  type CaptureSigningKey,
  MIN_SIGNING_SECRET_CHARS,
  type OpenedBatch,
  openCaptureBatch,
  parseSigningKeys,
  type SignedCaptureBatch,
  signCaptureBatch,
  signedCaptureBatchSchema,
  signingKeysEnvSchema,
} from "./capture-signing.js";
export {
  CAPTURE_BATCH_JOB_NAME,
  CAPTURE_JOB_OPTIONS,
  CAPTURE_JOBS,
  CAPTURE_QUEUE_NAME,
  type CaptureJobName,
  DEFAULT_QUEUE_PREFIX,
  isCaptureJobName,
} from "./queue.js";
export {
  type RedisCommandClient,
  type RedisPersistence,
  redisPersistence,
  redisPersistenceWarning,
} from "./redis-persistence.js";
