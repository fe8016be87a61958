import { readFileSync } from "node:fs";
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from "node:zlib";
import { type BodyCapture, HeadTailBuffer } from "@tokenmeter/capture";
import type { ExchangeForParsing } from "../src/index.js";

/** The bytes of a file in test/fixtures. */
export function fixture(name: string): Buffer {
  return readFileSync(new URL(`./fixtures/${name}`, import.meta.url));
}

export type Compression = "gzip" | "x-gzip" | "br" | "deflate" | "deflate-raw";

export interface CaptureOptions {
  /** Bytes kept from the start (default 1 MiB, i.e. whole for fixtures). */
  headMax?: number;
  /** Bytes kept from the end (default 1 MiB). */
  tailMax?: number;
  /** Compress the body before capturing, and label the capture with that content-encoding. */
  compress?: Compression;
  /** Mark the capture as decoded by the proxy from this encoding (the bytes stay plain). */
  decodedFrom?: string;
}

function compressed(body: Buffer, compression: Compression | undefined): Buffer {
  switch (compression) {
    case undefined:
      return body;
    case "gzip":
    case "x-gzip":
      return gzipSync(body);
    case "br":
      return brotliCompressSync(body);
    case "deflate":
      return deflateSync(body);
    case "deflate-raw":
      return deflateRawSync(body);
  }
}

/** Captures a body the way the proxy does: through a HeadTailBuffer fed in network-sized chunks. */
export function capture(body: Buffer | string, options: CaptureOptions = {}): BodyCapture {
  const data = compressed(typeof body === "string" ? Buffer.from(body) : body, options.compress);
  const buffer = new HeadTailBuffer(options.headMax ?? 1 << 20, options.tailMax ?? 1 << 20);
  for (let i = 0; i < data.length; i += 4096) buffer.push(data.subarray(i, i + 4096));
  const encoding = options.compress === "deflate-raw" ? "deflate" : (options.compress ?? "identity");
  return buffer.toCapture(encoding, options.decodedFrom);
}

export interface ExchangeOptions {
  path: string;
  status?: number;
  method?: string;
  /** Response body: a capture, or bytes/text captured whole. */
  response: BodyCapture | Buffer | string;
  responseType?: string;
  /** Request body: a capture, bytes/text, or an object sent as JSON. */
  request?: BodyCapture | Buffer | string | Record<string, unknown>;
}

function asCapture(body: BodyCapture | Buffer | string | Record<string, unknown> | undefined): BodyCapture {
  if (body === undefined) return capture("");
  if (typeof body === "string" || Buffer.isBuffer(body)) return capture(body);
  if (typeof body.head === "string" && typeof body.size === "number") return body as BodyCapture;
  return capture(JSON.stringify(body));
}

/** An exchange for extractUsage; status defaults to 200 and method to POST. */
export function exchange(options: ExchangeOptions): ExchangeForParsing {
  const response: ExchangeForParsing["response"] = { body: asCapture(options.response) };
  if (options.responseType) response.contentType = options.responseType;
  return {
    method: options.method ?? "POST",
    path: options.path,
    status: options.status ?? 200,
    request: { body: asCapture(options.request), contentType: "application/json" },
    response,
  };
}
