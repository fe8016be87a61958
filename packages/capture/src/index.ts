export {
  bodyCaptureSchema,
  captureErrorCodeSchema,
  captureSchema,
  captureV1Schema,
  type BodyCapture,
  type Capture,
  type CaptureErrorCode,
  type CaptureV1,
} from "./capture-schema.js";
export { HeadTailBuffer, capturedBytes, emptyBody, type CapturedBytes } from "./body-capture.js";
export {
  CAPTURE_JOB_NAME,
  CAPTURE_JOB_OPTIONS,
  CAPTURE_QUEUE_NAME,
  DEFAULT_QUEUE_PREFIX,
  captureJobId,
} from "./queue.js";
