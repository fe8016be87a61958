import { createRequire } from "node:module";
import { crc32 } from "node:zlib";
import type { EventStreamCodec as Codec } from "@smithy/eventstream-codec";
import type { CapturedBytes } from "@tokenmeter/capture";
import { parseJson } from "./json-scan.js";
import type { SseEvent, SseStream } from "./sse.js";

/** An AWS event stream (`application/vnd.amazon.eventstream`) read into events, like an SSE stream. */
export interface AwsEventStream extends SseStream {
  /** True when the capture ends inside a frame: the stream was cut off mid-message. */
  endsMidFrame: boolean;
}

// Frame layout: total length (4, big-endian), headers length (4), prelude CRC32 (4), headers, payload,
// message CRC32 (4). Bedrock frames are small; a bound keeps a corrupt length from meaning anything.
const PRELUDE_BYTES = 12;
const MIN_FRAME_BYTES = 16;
const MAX_FRAME_BYTES = 1024 * 1024;
// Resynchronising a tail tries every offset; a bound keeps a hostile tail from costing many CRCs.
const MAX_RESYNC_TRIES = 256 * 1024;

// Loaded as CommonJS: its ES build (and @smithy/core's) uses extension-less imports only bundlers resolve.
const { EventStreamCodec } = createRequire(import.meta.url)("@smithy/eventstream-codec") as {
  EventStreamCodec: typeof Codec;
};
const codec = new EventStreamCodec(
  (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8"),
  (text: string) => new Uint8Array(Buffer.from(text, "utf8")),
);

/** Whether `at` starts a frame prelude whose CRC matches (a random match has odds 2^-32). */
function preludeAt(bytes: Buffer, at: number): number | null {
  if (at + PRELUDE_BYTES > bytes.length) return null;
  const total = bytes.readUInt32BE(at);
  const headers = bytes.readUInt32BE(at + 4);
  if (total < MIN_FRAME_BYTES || total > MAX_FRAME_BYTES || headers > total - MIN_FRAME_BYTES) return null;
  if (crc32(bytes.subarray(at, at + 8)) !== bytes.readUInt32BE(at + 8)) return null;
  return total;
}

/** True when the body starts with a valid event-stream frame prelude. */
export function looksLikeEventStream(head: Buffer, contentType?: string): boolean {
  if (typeof contentType === "string" && contentType.toLowerCase().includes("vnd.amazon.eventstream")) {
    return true;
  }
  return preludeAt(head, 0) !== null;
}

function headerString(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const v = (value as { value?: unknown }).value;
  return typeof v === "string" ? v : undefined;
}

/** Decodes whole frames from `start`; with `resync`, first finds the next frame boundary (a cut-in tail). */
function framesOf(bytes: Buffer, resync: boolean): { events: SseEvent[]; endsMidFrame: boolean } {
  const events: SseEvent[] = [];
  let at = 0;
  if (resync) {
    let tries = 0;
    while (at < bytes.length && preludeAt(bytes, at) === null && tries++ < MAX_RESYNC_TRIES) at++;
  }
  while (at < bytes.length) {
    const total = preludeAt(bytes, at);
    if (total === null) return { events, endsMidFrame: true };
    if (at + total > bytes.length) return { events, endsMidFrame: true };
    let message: ReturnType<typeof codec.decode>;
    try {
      message = codec.decode(bytes.subarray(at, at + total));
    } catch {
      // A message CRC mismatch: the frame is corrupt, and nothing after it can be trusted.
      return { events, endsMidFrame: true };
    }
    const body = Buffer.from(message.body.buffer, message.body.byteOffset, message.body.byteLength);
    const data = body.toString("utf8");
    const type =
      headerString(message.headers[":event-type"]) ?? headerString(message.headers[":exception-type"]);
    const kind = headerString(message.headers[":message-type"]);
    events.push({
      event: kind === "event" || kind === undefined ? type : `${kind}:${type}`,
      data,
      json: eventJson(data),
    });
    at += total;
  }
  return { events, endsMidFrame: false };
}

function eventJson(data: string): unknown {
  return data.trimStart().startsWith("{") ? parseJson(data).value : undefined;
}

/**
 * Reads the frames of a captured event stream. A truncated capture is read as its head (from the first
 * byte) and its tail (from the first offset where a frame prelude's CRC checks out). Never throws.
 */
export function parseEventStream(bytes: CapturedBytes): AwsEventStream {
  const head = framesOf(bytes.head, false);
  if (!bytes.truncated) return { events: head.events, truncated: false, endsMidFrame: head.endsMidFrame };
  const tail = framesOf(bytes.tail, true);
  return { events: [...head.events, ...tail.events], truncated: true, endsMidFrame: tail.endsMidFrame };
}

/** Encodes one event frame (for tests and the fake upstream): JSON payload, event-type header. */
export function encodeEventFrame(eventType: string, payload: unknown): Buffer {
  const frame = codec.encode({
    headers: {
      ":event-type": { type: "string", value: eventType },
      ":content-type": { type: "string", value: "application/json" },
      ":message-type": { type: "string", value: "event" },
    },
    body: new Uint8Array(Buffer.from(JSON.stringify(payload), "utf8")),
  });
  return Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
}
