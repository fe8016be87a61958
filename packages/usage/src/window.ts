import type { BodyCapture, CapturedBytes } from "@tokenmeter/capture";
import { decodeBody } from "./decode.js";

/**
 * Largest decoded body parsed whole. Past it only a head and a tail window are read, exactly like
 * a capture the proxy truncated: usage sits at the end, the model at the start, and parsing a few
 * megabytes whole would block the event loop for tens of milliseconds.
 */
export const MAX_WHOLE_BYTES = 256 * 1024;
// What is read of a larger or truncated body: the model is in the first events or keys, the usage in the
// last ones. Multiples of 3, so a window is a whole number of base64 quads.
const HEAD_WINDOW_BYTES = 3 * 10_923;
const TAIL_WINDOW_BYTES = 3 * 21_846;
const HEAD_WINDOW_CHARS = (HEAD_WINDOW_BYTES / 3) * 4;
const TAIL_WINDOW_CHARS = (TAIL_WINDOW_BYTES / 3) * 4;

/** The bytes of a body to parse, bounded; `scale` is how much larger the body was (for estimates). */
export interface BoundedBody {
  bytes: CapturedBytes;
  scale: number;
  error: string | null;
}

const isPlain = (body: BodyCapture) =>
  typeof body.encoding !== "string" || body.encoding.trim() === "" || body.encoding.trim() === "identity";

/** Decoded size of base64 text (no whitespace, as the proxy writes it). */
function base64Bytes(text: string): number {
  const padding = text.endsWith("==") ? 2 : text.endsWith("=") ? 1 : 0;
  return (text.length / 4) * 3 - padding;
}

/**
 * Decodes a body capture into at most MAX_WHOLE_BYTES (or two windows) to parse. A large plain body is cut
 * in its base64 form, so a 2 MB capture costs two 128 KiB decodes; a compressed one has to be inflated
 * whole first (bounded by MAX_DECODED_BYTES). Never throws.
 */
export function boundedBody(body: BodyCapture): BoundedBody {
  const head = body?.head;
  const tail = body?.tail;
  if (body && isPlain(body) && !body.undecodable && typeof head === "string" && typeof tail === "string") {
    const end = body.truncated ? tail : head;
    const large = body.truncated || head.length > (MAX_WHOLE_BYTES / 3) * 4 + 4;
    if (large && head.length % 4 === 0 && end.length % 4 === 0) {
      // Cut in base64 form: a large capture costs two small decodes, not a whole one.
      const bytes = {
        head: Buffer.from(head.slice(0, HEAD_WINDOW_CHARS), "base64"),
        tail: Buffer.from(end.slice(Math.max(0, end.length - TAIL_WINDOW_CHARS)), "base64"),
        truncated: true,
      };
      const kept = bytes.head.length + bytes.tail.length;
      const size = body.truncated ? body.size : base64Bytes(head);
      // A body decoded from a compressed one was measured compressed: its decoded size is unknown.
      const scale = kept > 0 && !body.decodedFrom ? Math.max(1, size / kept) : 1;
      return { bytes, scale, error: null };
    }
  }
  const decoded = decodeBody(body);
  if (decoded.error) return { bytes: decoded.bytes, scale: 1, error: decoded.error };
  return { ...windowed(decoded.bytes, body), error: null };
}

function windowed(bytes: CapturedBytes, body: BodyCapture): { bytes: CapturedBytes; scale: number } {
  const captured = bytes.head.length + bytes.tail.length;
  if (!bytes.truncated && captured <= MAX_WHOLE_BYTES) return { bytes, scale: 1 };
  const end = bytes.truncated ? bytes.tail : bytes.head;
  const head = bytes.head.subarray(0, HEAD_WINDOW_BYTES);
  const tail = end.subarray(Math.max(0, end.length - TAIL_WINDOW_BYTES));
  const kept = head.length + tail.length;
  if (!bytes.truncated) return { bytes: { head, tail, truncated: true }, scale: captured / kept };
  // A body the proxy decoded in its tee was measured compressed: its decoded size is unknown.
  const plain = !body.decodedFrom && isPlain(body);
  return {
    bytes: { head, tail, truncated: true },
    scale: plain && kept > 0 ? Math.max(1, body.size / kept) : 1,
  };
}
