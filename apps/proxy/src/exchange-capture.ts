import type { BodyCapture, Capture } from "@tokenmeter/capture";
import type { Exchange } from "./exchange.js";

/** The capture of a finished exchange: what the worker meters. Every string is cut to the contract's bounds. */
export function buildCapture(
  x: Exchange,
  status: number,
  requestBody: BodyCapture,
  responseBody: BodyCapture,
): Capture {
  if (x.declaredRequestBytes !== null) requestBody.size = x.declaredRequestBytes;
  const latencyMs = Math.round(performance.now() - x.startedAt);
  const contentType = x.responseContentType ?? "";
  const capture: Capture = {
    v: 1,
    requestId: x.requestId,
    receivedAt: new Date(x.receivedAt).toISOString(),
    buyerId: x.key.buyerId,
    apiKeyId: x.key.keyId,
    serviceId: x.service.id,
    serviceSlug: x.service.slug,
    method: x.method.slice(0, 16),
    path: x.upstreamPath.slice(0, 4096),
    request: { contentType: x.requestContentType?.slice(0, 256), body: requestBody },
    response: {
      status,
      contentType: x.responseContentType?.slice(0, 256),
      upstreamRequestId: x.upstreamRequestId?.slice(0, 200),
      body: responseBody,
    },
    streamed: contentType.includes("event-stream") || contentType.includes("ndjson"),
    upstreamReached: x.proxyRes !== null || (x.connected && x.errorCode !== "request_too_large"),
    errorCode: x.errorCode,
    ttfbMs: x.ttfbMs ?? undefined,
    latencyMs,
  };
  return capture;
}
