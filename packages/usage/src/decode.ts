import { brotliDecompressSync, gunzipSync, inflateRawSync, inflateSync } from "node:zlib";
import { type BodyCapture, type CapturedBytes, capturedBytes } from "@tokenmeter/capture";

/**
 * Upper bound of a body decoded here, synchronously, so a compression bomb cannot exhaust the worker's memory
 * or hold its event loop for long. The worker decodes large bodies first with `decodeBodyBounded`, off the loop.
 */
export const MAX_DECODED_BYTES = 16 * 1024 * 1024;

/** A body's bytes after content decoding; when `error` is set, `bytes` are the captured, undecoded bytes. */
export interface DecodedBody {
  bytes: CapturedBytes;
  error: string | null;
}

const EMPTY: CapturedBytes = { head: Buffer.alloc(0), tail: Buffer.alloc(0), truncated: false };

/** Decodes a captured body's content-encoding (gzip, x-gzip, deflate, br, identity, or a list). Never throws. */
export function decodeBody(body: BodyCapture): DecodedBody {
  const undecodable = (body as Partial<BodyCapture> | undefined)?.undecodable;
  if (typeof undecodable === "string") return { bytes: EMPTY, error: undecodable };
  let bytes: CapturedBytes;
  try {
    bytes = capturedBytes(body);
  } catch {
    return { bytes: EMPTY, error: "body capture is malformed" };
  }
  const codings = parseCodings(typeof body.encoding === "string" ? body.encoding : "");
  if (codings.length === 0) return { bytes, error: null };
  const label = codings.join(", ");
  // Only the proxy can decode a stream too large to keep; it then labels the capture "identity" with
  // `decodedFrom`. A head and tail cut out of a compressed stream cannot be decoded here.
  if (bytes.truncated) return { bytes, error: `truncated ${label} body cannot be decoded` };
  let data = bytes.head;
  // Codings are listed in the order they were applied, so they are undone from last to first.
  for (const coding of [...codings].reverse()) {
    const step = decodeOne(data, coding);
    if (typeof step === "string") return { bytes, error: step };
    data = step;
  }
  return { bytes: { head: data, tail: Buffer.alloc(0), truncated: false }, error: null };
}

function parseCodings(header: string): string[] {
  return header
    .split(",")
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== "" && c !== "identity");
}

function decodeOne(data: Buffer, coding: string): Buffer | string {
  const opts = { maxOutputLength: MAX_DECODED_BYTES };
  try {
    switch (coding) {
      case "gzip":
      case "x-gzip":
        return gunzipSync(data, opts);
      case "br":
        return brotliDecompressSync(data, opts);
      case "deflate":
        return inflateDeflate(data, opts);
      default:
        return `unsupported content-encoding ${coding.slice(0, 32)}`;
    }
  } catch (err) {
    if (err instanceof RangeError) return `decoded body exceeds ${MAX_DECODED_BYTES} bytes`;
    const message = err instanceof Error ? err.message : String(err);
    return `cannot decode ${coding} body: ${message}`;
  }
}

// HTTP "deflate" means zlib-wrapped deflate, but some servers send raw deflate; accept both.
function inflateDeflate(data: Buffer, opts: { maxOutputLength: number }): Buffer {
  try {
    return inflateSync(data, opts);
  } catch (err) {
    if (err instanceof RangeError) throw err;
    return inflateRawSync(data, opts);
  }
}
