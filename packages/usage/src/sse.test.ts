import { describe, expect, it } from "vitest";
import { capture, fixture } from "../test/helpers.js";
import { decodeBody } from "./decode.js";
import { looksLikeSse, parseSse } from "./sse.js";

const streamOf = (body: string, headMax?: number, tailMax?: number) =>
  parseSse(decodeBody(capture(body, { headMax, tailMax })).bytes);

describe("parseSse", () => {
  it("splits a stream into named events with parsed JSON data", () => {
    const { events, truncated } = streamOf(fixture("anthropic-stream.sse").toString());
    expect(truncated).toBe(false);
    expect(events.map((e) => e.event)).toEqual([
      "message_start",
      "content_block_start",
      "ping",
      "content_block_delta",
      "content_block_delta",
      "content_block_delta",
      "content_block_stop",
      "message_delta",
      "message_stop",
    ]);
    expect(events[2]?.json).toEqual({ type: "ping" });
  });

  it("handles CRLF separators and keeps non-JSON data such as [DONE]", () => {
    const { events } = streamOf('data: {"a":1}\r\n\r\ndata: [DONE]\r\n\r\n');
    expect(events).toEqual([
      { event: undefined, data: '{"a":1}', json: { a: 1 } },
      { event: undefined, data: "[DONE]", json: undefined },
    ]);
  });

  it("dispatches a last event that lacks its blank line", () => {
    expect(streamOf('data: {"a":1}\n\ndata: {"b":2}').events.map((e) => e.json)).toEqual([
      { a: 1 },
      { b: 2 },
    ]);
  });

  it("parses head and tail of a truncated stream apart and drops the cut lines", () => {
    const body = Array.from({ length: 200 }, (_, i) => `data: {"n":${i},"pad":"${"x".repeat(40)}"}\n\n`).join(
      "",
    );
    const { events, truncated } = streamOf(body, 500, 500);
    expect(truncated).toBe(true);
    const numbers = events.map((e) => (e.json as { n: number } | undefined)?.n);
    // The event cut at the head boundary and the partial line opening the tail do not parse.
    expect(numbers[0]).toBe(0);
    expect(numbers.at(-1)).toBe(199);
    expect(numbers.filter((n) => n === undefined).length).toBeLessThanOrEqual(1);
    const parsed = numbers.filter((n) => n !== undefined);
    expect(parsed).toEqual([...parsed].sort((a, b) => a - b));
  });

  it("parses a large stream in linear time", () => {
    const body = 'data: {"choices":[{"delta":{"content":"token"}}]}\n\n'.repeat(200_000);
    const started = performance.now();
    expect(streamOf(body, 64 << 20).events).toHaveLength(200_000);
    // Fed as one chunk, eventsource-parser needs tens of seconds for this; by lines it is well under one.
    expect(performance.now() - started).toBeLessThan(5000);
  });
});

describe("looksLikeSse", () => {
  it("recognises an event stream by its first field or by content type", () => {
    expect(looksLikeSse("data: {}")).toBe(true);
    expect(looksLikeSse("event: ping\n")).toBe(true);
    expect(looksLikeSse(": keep-alive\n\n")).toBe(true);
    expect(looksLikeSse("hello", "text/event-stream; charset=utf-8")).toBe(true);
    expect(looksLikeSse('{"error":"overloaded"}', "text/event-stream")).toBe(false);
    expect(looksLikeSse('{"a":1}', "application/json")).toBe(false);
  });
});
