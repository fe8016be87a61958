import { Readable, type Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import zlib from "node:zlib";
import { type BodyCapture, capturedBytes } from "@tokenmeter/capture";

/** Bounds of one body's decoding: output bytes and wall time. */
export interface DecodeLimits {
  maxBytes: number;
  timeoutMs: number;
  /** Keep the first maxBytes when the output is larger (enough for a request's model) instead of giving up. */
  keepHead: boolean;
}

/** Request bodies: only their head matters (the model, stream options), so 1 MiB is plenty. */
export const REQUEST_DECODE_LIMITS: DecodeLimits = { maxBytes: 1024 * 1024, timeoutMs: 5000, keepHead: true };
/** Response bodies: usage is at the end, so the whole body must decode, within 16 MiB and 5 s. */
export const RESPONSE_DECODE_LIMITS: DecodeLimits = {
  maxBytes: 16 * 1024 * 1024,
  timeoutMs: 5000,
  keepHead: false,
};

const codingsOf = (encoding: string) =>
  encoding
    .split(",")
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== "" && c !== "identity");

function decoder(coding: string, raw: boolean): Transform | null {
  switch (coding) {
    case "gzip":
    case "x-gzip":
      return zlib.createGunzip(CHUNK);
    case "br":
      return zlib.createBrotliDecompress(CHUNK);
    case "deflate":
      return raw ? zlib.createInflateRaw(CHUNK) : zlib.createInflate(CHUNK);
    default:
      return null;
  }
}

// Larger output chunks than zlib's 16 KiB default: fewer round trips between the thread pool and the loop.
const CHUNK = { chunkSize: 256 * 1024 };

class Overflow extends Error {}

/**
 * Decodes a captured body's content-encoding on the thread pool (zlib streams), never holding the event loop,
 * bounded by output size and time: a 100 MB compression bomb costs at most `maxBytes` of output and
 * `timeoutMs`. Returns an identity body, or the body marked `undecodable` with the reason. Bodies that are
 * plain, or truncated (their middle is missing, so they cannot be decoded anyway), are returned as they are.
 */
export async function decodeBodyBounded(body: BodyCapture, limits: DecodeLimits): Promise<BodyCapture> {
  const codings = codingsOf(typeof body.encoding === "string" ? body.encoding : "");
  if (codings.length === 0 || body.truncated || body.undecodable) return body;
  const input = capturedBytes(body).head;
  const attempt = async (rawDeflate: boolean): Promise<BodyCapture> => {
    const stages = [...codings].reverse().map((c) => decoder(c, rawDeflate));
    if (stages.some((s) => s === null)) return body; // unsupported: the parser reports it
    const chunks: Buffer[] = [];
    let total = 0;
    let overflowed = false;
    try {
      // The variadic overload is not expressible in Node's types for a computed list of stages.
      await (pipeline as unknown as (...args: unknown[]) => Promise<void>)(
        Readable.from([input]),
        ...(stages as Transform[]),
        async (source: AsyncIterable<Buffer>) => {
          for await (const chunk of source) {
            const room = limits.maxBytes - total;
            if (chunk.length > room) {
              if (room > 0) chunks.push(chunk.subarray(0, room));
              total = limits.maxBytes;
              overflowed = true;
              throw new Overflow();
            }
            chunks.push(chunk);
            total += chunk.length;
          }
        },
        { signal: AbortSignal.timeout(limits.timeoutMs) },
      );
    } catch (error) {
      // The pipeline may report our own stop as a premature close: the flag says what happened.
      if (overflowed || error instanceof Overflow) overflowed = true;
      else if ((error as Error).name === "AbortError")
        return { ...body, undecodable: `decoding took longer than ${limits.timeoutMs} ms` };
      else throw error;
    }
    if (overflowed && !limits.keepHead) {
      return { ...body, undecodable: `decoded body exceeds ${limits.maxBytes} bytes` };
    }
    const decoded = Buffer.concat(chunks);
    return {
      size: body.size,
      head: decoded.toString("base64"),
      tail: "",
      truncated: overflowed,
      encoding: "identity",
      decodedFrom: body.encoding,
    };
  };
  try {
    return await attempt(false);
  } catch (error) {
    // HTTP "deflate" means zlib-wrapped, but some servers send raw deflate: one more try before giving up.
    if (codings.includes("deflate")) {
      try {
        return await attempt(true);
      } catch {
        // fall through to the first error
      }
    }
    return {
      ...body,
      undecodable: `cannot decode ${codings.join(", ")} body: ${(error as Error).message}`.slice(0, 200),
    };
  }
}
