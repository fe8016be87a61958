import url from "node:url";
import { type BodyCapture, captureSchema } from "@tokenmeter/capture";
import { describe, expect, it } from "vitest";
import { type CapturedExchange, serialiseCapture } from "./exchange-capture.js";

const body = (extra: Partial<BodyCapture> = {}): BodyCapture => ({
  size: 5,
  head: Buffer.from("hello").toString("base64"),
  tail: "",
  truncated: false,
  encoding: "identity",
  ...extra,
});

// Strings a buyer or an upstream controls, with everything JSON must escape.
const awkward = 'a"b\\c\n\u0000\u001f\u2028 é 😀 \ud800 </script>';

function exchange(overrides: Partial<CapturedExchange> = {}): CapturedExchange {
  return {
    requestId: "01890a5d-ac96-774b-bcce-b302099a8057",
    receivedAt: Date.UTC(2026, 11, 1, 4, 5, 6, 789),
    key: { keyId: 7, buyerId: 3, rateLimitPerMinute: null, maxConcurrentRequests: null },
    service: {
      id: 11,
      slug: "svc",
      upstreamUrl: "http://127.0.0.1:9",
      upstreamTarget: url.parse("http://127.0.0.1:9"),
      upstreamHeaders: {},
      injectStreamUsage: false,
    },
    method: "POST",
    upstreamPath: `/v1/chat/${awkward}`,
    req: { headers: { "content-type": `application/json; x=${awkward}` } },
    declaredRequestBytes: null,
    responseContentType: "text/event-stream",
    upstreamRequestId: awkward,
    proxyRes: {},
    connected: true,
    errorCode: undefined,
    ttfbMs: 12,
    ...overrides,
  };
}

describe("serialiseCapture", () => {
  it("writes a capture the schema accepts, with every string intact", () => {
    const line = serialiseCapture(
      exchange(),
      200,
      body(),
      body({ decodedFrom: "gzip", truncated: true }),
      34,
    );
    const capture = captureSchema.parse(JSON.parse(line));
    expect(capture).toEqual({
      v: 1,
      requestId: "01890a5d-ac96-774b-bcce-b302099a8057",
      receivedAt: "2026-12-01T04:05:06.789Z",
      buyerId: 3,
      apiKeyId: 7,
      serviceId: 11,
      serviceSlug: "svc",
      method: "POST",
      path: `/v1/chat/${awkward}`,
      request: { contentType: `application/json; x=${awkward}`, body: body() },
      response: {
        status: 200,
        contentType: "text/event-stream",
        upstreamRequestId: awkward,
        body: body({ decodedFrom: "gzip", truncated: true }),
      },
      streamed: true,
      upstreamReached: true,
      ttfbMs: 12,
      latencyMs: 34,
    });
    expect(line).not.toContain("\n");
  });

  it("leaves out what a call did not have, and bounds what it had", () => {
    const x = exchange({
      req: { headers: {} },
      responseContentType: undefined,
      upstreamRequestId: "r".repeat(500),
      proxyRes: null,
      connected: false,
      errorCode: "upstream_unreachable",
      ttfbMs: null,
      declaredRequestBytes: 99,
      upstreamPath: `/${"p".repeat(5000)}`,
    });
    const capture = captureSchema.parse(
      JSON.parse(serialiseCapture(x, 502, body({ undecodable: "bad" }), body(), 1)),
    );
    expect(capture.request).toEqual({ body: body({ undecodable: "bad", size: 99 }) });
    expect(capture.response.contentType).toBeUndefined();
    expect(capture.response.upstreamRequestId).toHaveLength(200);
    expect(capture.path).toHaveLength(4096);
    expect(capture).toMatchObject({
      streamed: false,
      upstreamReached: false,
      errorCode: "upstream_unreachable",
    });
    expect("ttfbMs" in capture).toBe(false);
  });
});
