import { randomUUID } from "node:crypto";
import type { Capture } from "@tokenmeter/capture";

const body = (text: string) => ({
  size: Buffer.byteLength(text),
  head: Buffer.from(text).toString("base64"),
  tail: "",
  truncated: false,
  encoding: "identity",
});

/** A complete capture of a JSON exchange, as the proxy would enqueue it. */
export function testCapture(options: {
  path: string;
  responseBody: string;
  requestBody?: string;
  status?: number;
  serviceId?: number;
  buyerId?: number;
  receivedAt?: string;
}): Capture {
  return {
    v: 1,
    requestId: randomUUID(),
    receivedAt: options.receivedAt ?? new Date().toISOString(),
    buyerId: options.buyerId ?? 424_242,
    apiKeyId: 1,
    serviceId: options.serviceId ?? 9_000_001,
    serviceSlug: "svc",
    method: "POST",
    path: options.path,
    request: { contentType: "application/json", body: body(options.requestBody ?? "{}") },
    response: {
      status: options.status ?? 200,
      contentType: "application/json",
      body: body(options.responseBody),
    },
    streamed: false,
    upstreamReached: true,
    ttfbMs: 2,
    latencyMs: 5,
  };
}
