import { describe, expect, it } from "vitest";
import { recordsIn, splitSegment } from "./journal-records.js";

const capture = (n: number) => ({
  v: 1,
  requestId: `0190a6f2-0000-7000-8000-${String(n).padStart(12, "0")}`,
  receivedAt: "2026-11-30T12:00:00.000Z",
  buyerId: 1,
  apiKeyId: 1,
  serviceId: 1,
  serviceSlug: "svc",
  method: "POST",
  path: "/v1/chat/completions",
  request: { body: { size: 0, head: "", tail: "", truncated: false, encoding: "identity" } },
  response: { status: 200, body: { size: 0, head: "", tail: "", truncated: false, encoding: "identity" } },
  streamed: false,
  upstreamReached: true,
  latencyMs: 1,
});
const line = (n: number) => JSON.stringify(capture(n));

describe("journal records", () => {
  it("keeps every complete line and reports a torn last one", () => {
    const text = `${line(1)}\n${line(2)}\n${line(3).slice(0, 40)}`;
    const { lines, tornTail } = splitSegment(text);
    expect(tornTail).toBe(true);
    expect(lines).toHaveLength(2);
    expect(recordsIn(lines, 0, lines.length, true).records).toEqual([line(1), line(2)]);
  });

  it("keeps a last record whose newline alone was lost", () => {
    const { lines, tornTail } = splitSegment(`${line(1)}\n${line(2)}`);
    expect(tornTail).toBe(false);
    expect(lines).toHaveLength(2);
  });

  it("counts lines that are not captures instead of throwing", () => {
    const lines = [line(1), "{not json", JSON.stringify({ v: 1 }), "", line(2)];
    const { records, corrupt } = recordsIn(lines, 0, lines.length, true);
    expect(records).toEqual([line(1), line(2)]);
    expect(corrupt).toBe(3);
  });

  it("reads only the requested range", () => {
    const lines = [line(1), line(2), line(3), line(4)];
    expect(recordsIn(lines, 1, 3, false).records).toEqual([line(2), line(3)]);
  });
});
