import type { IncomingHttpHeaders } from "node:http";
import type { BodyCapture, CaptureErrorCode } from "@tokenmeter/capture";
import type { KeyInfo, ServiceInfo } from "./directory.js";
import type { ProxyEnv } from "./env.js";

/** Whether an answer is a stream of events (SSE, AWS event stream, NDJSON). */
function isStream(contentType: string | undefined): boolean {
  const type = contentType?.toLowerCase() ?? "";
  return type.includes("event-stream") || type.includes("eventstream") || type.includes("ndjson");
}

/**
 * Bytes kept from the head and the tail of an answer: a stream's last event may repeat its whole output (the
 * Responses API's `response.completed`), so streams keep the larger capture; a JSON answer's usage and model
 * sit at its ends.
 */
export function responseCaptureBytes(env: ProxyEnv, contentType: string | undefined): number {
  return isStream(contentType)
    ? env.CAPTURE_MAX_BYTES
    : Math.min(env.CAPTURE_JSON_MAX_BYTES, env.CAPTURE_MAX_BYTES);
}

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

/** A string as JSON (quotes, escapes): every value that came from a buyer, an upstream or the database. */
const str = JSON.stringify as (value: string) => string;

/** One body capture as JSON; `head` and `tail` are base64 (nothing to escape). */
function bodyJson(b: BodyCapture): string {
  let json = `{"size":${b.size},"head":"${b.head}","tail":"${b.tail}","truncated":${b.truncated},"encoding":${str(b.encoding)}`;
  if (b.decodedFrom !== undefined) json += `,"decodedFrom":${str(b.decodedFrom)}`;
  if (b.undecodable !== undefined) json += `,"undecodable":${str(b.undecodable)}`;
  return `${json}}`;
}

/**
 * The capture of a finished exchange in its wire form: one JSON line, made once, that the journal appends and
 * the batch packer concatenates as it is. Every string is cut to the contract's bounds. Written out field by
 * field rather than built as an object for JSON.stringify: the proxy makes one per call (the field order and
 * the omitted optional fields are those of `Capture`; a unit test parses it back against the schema).
 */
export function serialiseCapture(
  x: CapturedExchange,
  status: number,
  requestBody: BodyCapture,
  responseBody: BodyCapture,
  latencyMs: number,
): string {
  if (x.declaredRequestBytes !== null) requestBody.size = x.declaredRequestBytes;
  const key = x.key as KeyInfo;
  const service = x.service as ServiceInfo;
  const requestType = x.req.headers["content-type"];
  let json = `{"v":1,"requestId":"${x.requestId}","receivedAt":"${new Date(x.receivedAt).toISOString()}","buyerId":${key.buyerId},"apiKeyId":${key.keyId},"serviceId":${service.id},"serviceSlug":${str(service.slug)},"method":${str(x.method.slice(0, 16))},"path":${str(x.upstreamPath.slice(0, 4096))},"request":{`;
  if (requestType !== undefined) json += `"contentType":${str(requestType.slice(0, 256))},`;
  json += `"body":${bodyJson(requestBody)}},"response":{"status":${status},`;
  if (x.responseContentType !== undefined)
    json += `"contentType":${str(x.responseContentType.slice(0, 256))},`;
  if (x.upstreamRequestId !== undefined)
    json += `"upstreamRequestId":${str(x.upstreamRequestId.slice(0, 200))},`;
  const streamed = isStream(x.responseContentType);
  const reached = x.proxyRes !== null || (x.connected && x.errorCode !== "request_too_large");
  json += `"body":${bodyJson(responseBody)}},"streamed":${streamed},"upstreamReached":${reached}`;
  if (x.errorCode !== undefined) json += `,"errorCode":"${x.errorCode}"`;
  if (x.ttfbMs !== null) json += `,"ttfbMs":${x.ttfbMs}`;
  return `${json},"latencyMs":${latencyMs}}`;
}
