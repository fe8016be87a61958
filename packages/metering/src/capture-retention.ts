import { promisify } from "node:util";
import { gunzip, gzip } from "node:zlib";
import { type Capture, captureSchema } from "@tokenmeter/capture";
import type { TokenUsage } from "@tokenmeter/usage";

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/** Largest retained capture accepted back: a capture is bounded by the proxy (head + tail of each body). */
const MAX_UNPACKED_BYTES = 8 * 1024 * 1024;

/**
 * Whether a call's capture is kept for re-metering: its usage could not be read. That is an estimate, a
 * parse error, or no usage from a successful (2xx) response. Error responses and token-counting calls carry
 * no usage by nature (source "none", no parse error): nothing to re-meter there.
 */
export function shouldRetainCapture(usage: TokenUsage, status: number): boolean {
  if (usage.source === "estimated" || usage.parseError !== null) return true;
  return usage.source === "none" && status >= 200 && status < 300;
}

/** gzip of the capture's JSON, compressed off the event loop (zlib's thread pool). */
export async function packCapture(capture: Capture): Promise<Buffer> {
  return gzipAsync(Buffer.from(JSON.stringify(capture), "utf8"));
}

/** Reads a retained capture back, validated as any capture from the queue is. Throws when it is not one. */
export async function unpackCapture(gzipped: Buffer): Promise<Capture> {
  const json = await gunzipAsync(gzipped, { maxOutputLength: MAX_UNPACKED_BYTES });
  return captureSchema.parse(JSON.parse(json.toString("utf8")));
}
