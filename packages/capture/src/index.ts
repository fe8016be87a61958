export { type CapturedBytes, capturedBytes, emptyBody, HeadTailBuffer } from "./body-capture.js";
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
  CAPTURE_JOB_NAME,
  CAPTURE_JOB_OPTIONS,
  CAPTURE_QUEUE_NAME,
  captureJobId,
  DEFAULT_QUEUE_PREFIX,
} from "./queue.js";
