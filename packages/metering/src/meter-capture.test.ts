import { randomUUID } from "node:crypto";
import type { Capture } from "@tokenmeter/capture";
import { PriceBook } from "@tokenmeter/pricing";
import { describe, expect, it } from "vitest";
import { meterCapture } from "./meter-capture.js";

const body = { size: 2, head: "e30=", tail: "", truncated: false, encoding: "identity" };
const capture = (requestId: string, receivedAt: string): Capture => ({
  v: 1,
  requestId,
  receivedAt,
  buyerId: 1,
  apiKeyId: 1,
  serviceId: 1,
  serviceSlug: "s",
  method: "POST",
  path: "/v1/x",
  request: { body },
  response: { status: 200, body },
  streamed: false,
  upstreamReached: true,
  latencyMs: 1,
});

describe("meterCapture dates the row", () => {
  it("by the millisecond of its UUIDv7 request id, whatever receivedAt says", () => {
    // 2026-11-30T23:59:59.999Z, the last millisecond of November.
    const id = "01a22ee6-afff-7abc-8def-0123456789ab";
    const honest = meterCapture(capture(id, "2026-11-30T23:59:59.999Z"), { prices: new PriceBook([]) });
    const replayedLate = meterCapture(capture(id, "2026-12-01T00:00:00.250Z"), { prices: new PriceBook([]) });
    expect(honest.row.requestTimestamp.toISOString()).toBe("2026-11-30T23:59:59.999Z");
    expect(replayedLate.row.requestTimestamp).toEqual(honest.row.requestTimestamp);
  });

  it("by receivedAt when the id carries no time", () => {
    const row = meterCapture(capture(randomUUID(), "2026-05-05T05:05:05.005Z"), {
      prices: new PriceBook([]),
    }).row;
    expect(row.requestTimestamp.toISOString()).toBe("2026-05-05T05:05:05.005Z");
  });
});
