import { promisify } from "node:util";
import zlib from "node:zlib";
import type { BodyCapture } from "@tokenmeter/capture";
import { MAX_DECODED_BYTES, parseCodings } from "./decode.js";
import { HEAD_WINDOW_BYTES, MAX_WHOLE_BYTES, TAIL_WINDOW_BYTES } from "./window.js";

type Inflate = (data: Buffer, options: zlib.ZlibOptions | zlib.BrotliOptions) => Promise<Buffer>;
const gunzip = promisify(zlib.gunzip) as Inflate;
const inflate = promisify(zlib.inflate) as Inflate;
const inflateRaw = promisify(zlib.inflateRaw) as Inflate;
const brotli = promisify(zlib.brotliDecompress) as Inflate;

async function decodeOne(data: Buffer, coding: string): Promise<Buffer> {
  const options = { maxOutputLength: MAX_DECODED_BYTES };
  switch (coding) {
    case "gzip":
    case "x-gzip":
      return gunzip(data, options);
    case "br":
      return brotli(data, options);
    case "deflate":
      // HTTP "deflate" is zlib-wrapped, but some servers send raw deflate.
      return inflate(data, options).catch((err: unknown) => {
        if (err instanceof RangeError) throw err;
        return inflateRaw(data, options);
      });
    default:
      throw new Error(`unsupported content-encoding ${coding}`);
  }
}

/**
 * Inflates a compressed body capture on libuv's thread pool instead of the event loop, keeping only what
 * usage parsing reads (the whole body up to MAX_WHOLE_BYTES, else a head and a tail window). The result is
 * labelled like a body the proxy decoded itself (`decodedFrom`), and keeps the wire `size`. Plain and
 * truncated bodies come back unchanged; one that cannot be decoded comes back empty, with the reason in
 * `decodedFrom` (extractUsage records it). Never rejects.
 */
export async function decodeBodyOffLoop(body: BodyCapture): Promise<BodyCapture> {
  try {
    const codings = parseCodings(typeof body.encoding === "string" ? body.encoding : "");
    if (codings.length === 0 || body.truncated || typeof body.head !== "string") return body;
    let data: Buffer = Buffer.from(body.head, "base64");
    for (const coding of [...codings].reverse()) data = await decodeOne(data, coding);
    const whole = data.length <= MAX_WHOLE_BYTES;
    const head = whole ? data : data.subarray(0, HEAD_WINDOW_BYTES);
    const tail = whole ? Buffer.alloc(0) : data.subarray(data.length - TAIL_WINDOW_BYTES);
    return {
      size: body.size,
      head: head.toString("base64"),
      tail: tail.toString("base64"),
      truncated: !whole,
      encoding: "identity",
      decodedFrom: codings.join(", "),
    };
  } catch (err) {
    // Not decoded again on the event loop: an empty body that says why (extractUsage reports it).
    const why = err instanceof RangeError ? `decoded body exceeds ${MAX_DECODED_BYTES} bytes` : "corrupt";
    const label = typeof body.encoding === "string" ? body.encoding.slice(0, 24) : "?";
    return {
      size: body.size,
      head: "",
      tail: "",
      truncated: false,
      encoding: "identity",
      decodedFrom: `${label}; ${why}`,
    };
  }
}

interface WithBodies {
  request: { body: BodyCapture };
  response: { body: BodyCapture };
}

/** A capture whose compressed request and response bodies are inflated off the event loop (see decodeBodyOffLoop). */
export async function decodeCaptureOffLoop<T extends WithBodies>(capture: T): Promise<T> {
  const [request, response] = await Promise.all([
    decodeBodyOffLoop(capture.request.body),
    decodeBodyOffLoop(capture.response.body),
  ]);
  if (request === capture.request.body && response === capture.response.body) return capture;
  return {
    ...capture,
    request: { ...capture.request, body: request },
    response: { ...capture.response, body: response },
  };
}
