import type { BodyCapture, CapturedBytes } from "@tokenmeter/capture";

/**
 * Largest decoded body parsed whole. Past it only the first and last WINDOW_BYTES are read, exactly like
 * a capture the proxy truncated: usage sits at the end, the model at the start, and parsing a few
 * megabytes whole would block the event loop for tens of milliseconds.
 */
export const MAX_WHOLE_BYTES = 256 * 1024;
const WINDOW_BYTES = 128 * 1024;

/**
 * The bytes to parse, and how much larger the body was than them (for scaling an estimate of text that
 * was not read; 1 when the whole body is read or its decoded size is unknown).
 */
export function windowed(bytes: CapturedBytes, body: BodyCapture): { bytes: CapturedBytes; scale: number } {
  const captured = bytes.head.length + bytes.tail.length;
  if (!bytes.truncated) {
    if (captured <= MAX_WHOLE_BYTES) return { bytes, scale: 1 };
    const head = bytes.head.subarray(0, WINDOW_BYTES);
    const tail = bytes.head.subarray(bytes.head.length - WINDOW_BYTES);
    return { bytes: { head, tail, truncated: true }, scale: captured / (2 * WINDOW_BYTES) };
  }
  // A body the proxy decoded in its tee was measured compressed: its decoded size is unknown.
  const plain = !body.decodedFrom && (body.encoding === "identity" || body.encoding === "");
  return { bytes, scale: plain && captured > 0 ? Math.max(1, body.size / captured) : 1 };
}
