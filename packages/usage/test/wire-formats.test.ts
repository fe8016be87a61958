import { type BodyCapture, bodyCaptureSchema, HeadTailBuffer } from "@tokenmeter/capture";
import { describe, expect, it } from "vitest";
import { extractUsage } from "../src/index.js";
import { exchange, fixture } from "./helpers.js";
import { WIRE_CASES, type WireCase } from "./wire-cases.js";

/**
 * Captures a body the way the proxy does (a HeadTailBuffer fed chunk by chunk, cut at `cuts`) and hands
 * it over the way the worker gets it: serialised into the queue and validated by the capture schema.
 */
function captureAt(body: Buffer, cuts: readonly number[], headMax = 1 << 20, tailMax = 1 << 20): BodyCapture {
  const buffer = new HeadTailBuffer(headMax, tailMax);
  let at = 0;
  for (const cut of [...new Set(cuts)].sort((a, b) => a - b)) {
    if (cut <= at || cut >= body.length) continue;
    buffer.push(body.subarray(at, cut));
    at = cut;
  }
  buffer.push(body.subarray(at));
  return bodyCaptureSchema.parse(JSON.parse(JSON.stringify(buffer.toCapture("identity"))));
}

/** Offsets of the frames of an AWS event stream (empty for other bodies). */
function frameStarts(body: Buffer): number[] {
  const starts: number[] = [];
  if (body[0] !== 0) return starts;
  for (let at = 0; at + 4 <= body.length; at += body.readUInt32BE(at)) {
    starts.push(at);
    if (body.readUInt32BE(at) < 16) break;
  }
  return starts;
}

/**
 * Awkward byte offsets in [from, to): inside a multi-byte UTF-8 character, inside "data:", inside a CRLF,
 * inside an event-stream frame's prelude and its headers.
 */
function awkwardOffsets(body: Buffer, from: number, to: number): number[] {
  const out: number[] = [];
  for (let i = from; i < to; i++) {
    if (body[i]! >= 0xc0) {
      out.push(i + 1);
      break;
    }
  }
  const data = body.indexOf("data:", from);
  if (data >= 0) out.push(data + 2);
  const crlf = body.indexOf("\r\n", from);
  if (crlf >= 0) out.push(crlf + 1);
  const frame = frameStarts(body).find((s) => s >= from);
  if (frame !== undefined) out.push(frame + 5, frame + 14);
  return out.filter((o) => o > from && o < to).sort((a, b) => a - b);
}

/** Where the first event (line, frame) ends and where the one carrying the final usage starts. */
function streamBounds(body: Buffer, marker: string): { firstEnd: number; usageStart: number } {
  const frames = frameStarts(body);
  const markerAt = body.lastIndexOf(marker);
  if (frames.length > 1) {
    return { firstEnd: frames[1]!, usageStart: frames.filter((s) => s <= markerAt).at(-1)! };
  }
  const text = body.toString("latin1");
  const separator = (text.startsWith("{") ? /\n/ : /\r?\n\r?\n/).exec(text);
  const firstEnd = separator ? separator.index + separator[0].length : body.length;
  const usageStart = Math.max(text.lastIndexOf("\n", markerAt) + 1, 0);
  return { firstEnd, usageStart };
}

const reported = (c: WireCase) => ({ ...c.expected, source: "reported", parseError: null });
const usageOf = (c: WireCase, response: BodyCapture) =>
  extractUsage(
    exchange({
      path: c.path,
      response,
      ...(c.contentType ? { responseType: c.contentType } : {}),
      ...(c.request ? { request: c.request } : {}),
    }),
  );

describe.each(WIRE_CASES)("$name ($fixture)", (c) => {
  const body = fixture(c.fixture);

  it("yields every token class and the model when parsed whole", () => {
    expect(usageOf(c, captureAt(body, []))).toEqual(reported(c));
  });

  it("yields the same when the body arrives in chunks cut at awkward byte offsets", () => {
    const cuts = [...awkwardOffsets(body, 0, body.length)];
    for (let i = 7; i < body.length; i += 7) cuts.push(i);
    expect(cuts.length).toBeGreaterThan(0);
    expect(usageOf(c, captureAt(body, cuts))).toEqual(reported(c));
  });

  if (!c.usageMarker) return;
  const marker = c.usageMarker;

  it("yields the same when the capture keeps only a head and a tail cut at awkward offsets", () => {
    const { firstEnd, usageStart } = streamBounds(body, marker);
    const headCuts = awkwardOffsets(body, firstEnd, usageStart);
    const head = headCuts[0] ?? firstEnd;
    const tailStart = awkwardOffsets(body, head + 1, usageStart + 1)[0] ?? usageStart;
    expect(tailStart).toBeGreaterThan(head);
    const response = captureAt(body, [head, tailStart, ...headCuts], head, body.length - tailStart);
    expect(response.truncated).toBe(true);
    expect(usageOf(c, response)).toEqual(reported(c));
  });
});
