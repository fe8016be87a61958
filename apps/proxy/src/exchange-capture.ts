import type { IncomingHttpHeaders } from "node:http";
import type { BodyCapture, Capture, CaptureErrorCode } from "@tokenmeter/capture";
import type { KeyInfo, ServiceInfo } from "./directory.js";

/** What an ended exchange knows that its capture records. */
export interface CapturedExchange {
  requestId: string;
  receivedAt: number;
  key: KeyInfo | null;
  service: ServiceInfo | null;
  method: string;
  upstreamPath: string;
  req: { headers: IncomingHttpHeaders };
  declaredRequestBytes: number | null;
  responseContentType: string | undefined;
  upstreamRequestId: string | undefined;
  proxyRes: object | null;
  connected: boolean;
  errorCode: CaptureErrorCode | undefined;
  ttfbMs: number | null;
}

/**
 * The capture of a finished exchange in its wire form: one JSON line, made once, that the journal appends and
 * the batch packer concatenates as it is. Every string is cut to the contract's bounds.
 */
export function serialiseCapture(
  x: CapturedExchange,
  status: number,
  requestBody: BodyCapture,
  responseBody: BodyCapture,
  latencyMs: number,
): string {
  if (x.declaredRequestBytes !== null) requestBody.size = x.declaredRequestBytes;
  const contentType = x.responseContentType ?? "";
  const key = x.key as KeyInfo;
  const service = x.service as ServiceInfo;
  const capture: Capture = {
    v: 1,
    requestId: x.requestId,
    receivedAt: new Date(x.receivedAt).toISOString(),
    buyerId: key.buyerId,
    apiKeyId: key.keyId,
    serviceId: service.id,
    serviceSlug: service.slug,
    method: x.method.slice(0, 16),
    path: x.upstreamPath.slice(0, 4096),
    request: { contentType: x.req.headers["content-type"]?.slice(0, 256), body: requestBody },
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
  return JSON.stringify(capture);
}
