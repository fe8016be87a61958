import { randomUUID } from "node:crypto";
import type { Capture } from "@tokenmeter/capture";
import type { TokenUsage } from "@tokenmeter/usage";
import { describe, expect, it } from "vitest";
import { packCapture, shouldRetainCapture, unpackCapture } from "./capture-retention.js";

const usage = (over: Partial<TokenUsage>): TokenUsage => ({
  model: null,
  inputTokens: 0,
  cachedInputTokens: 0,
  cacheWriteTokens: 0,
  cacheWrite1hTokens: 0,
  outputTokens: 0,
  reasoningTokens: 0,
  totalTokens: 0,
  source: "reported",
  parser: null,
  parseError: null,
  ...over,
});

describe("shouldRetainCapture", () => {
  it("keeps estimates, parse errors and 2xx answers without usage; not error answers or reported usage", () => {
    expect(shouldRetainCapture(usage({ source: "estimated" }), 200)).toBe(true);
    expect(shouldRetainCapture(usage({ source: "none", parseError: "no usage found" }), 200)).toBe(true);
    expect(shouldRetainCapture(usage({ source: "none" }), 200)).toBe(true);
    expect(shouldRetainCapture(usage({ source: "none" }), 429)).toBe(false);
    expect(shouldRetainCapture(usage({ source: "reported" }), 200)).toBe(false);
    expect(shouldRetainCapture(usage({ source: "rule" }), 200)).toBe(false);
  });
});

describe("packCapture / unpackCapture", () => {
  const capture: Capture = {
    v: 1,
    requestId: randomUUID(),
    receivedAt: "2026-01-01T00:00:00.000Z",
    buyerId: 1,
    apiKeyId: 1,
    serviceId: 1,
    serviceSlug: "s",
    method: "POST",
    path: "/v1/x",
    request: { body: { size: 2, head: "e30=", tail: "", truncated: false, encoding: "identity" } },
    response: {
      status: 200,
      body: { size: 2, head: "e30=", tail: "", truncated: false, encoding: "identity" },
    },
    streamed: false,
    upstreamReached: true,
    latencyMs: 1,
  };

  it("round-trips a capture through gzip", async () => {
    const packed = await packCapture(capture);
    expect(packed.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    expect(await unpackCapture(packed)).toEqual(capture);
  });

  it("refuses bytes that are not a gzipped capture", async () => {
    await expect(unpackCapture(Buffer.from("not gzip"))).rejects.toThrow();
    const { gzipSync } = await import("node:zlib");
    await expect(unpackCapture(gzipSync(Buffer.from('{"v":1}')))).rejects.toThrow();
  });
});
