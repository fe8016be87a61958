import { describe, expect, it } from "vitest";
import { extractUsage, type MissingUsagePolicy } from "../src/index.js";
import { capture, exchange, fixture } from "./helpers.js";
import { WIRE_CASES } from "./wire-cases.js";

const request = { stream: true, messages: [{ role: "user", content: "Say hello, briefly." }] };

/** Each stream cut just before the event that carries its final usage (as an upstream or buyer abort would). */
const cutStreams = WIRE_CASES.filter((c) => c.usageMarker).map((c) => {
  const body = fixture(c.fixture);
  const at = body.lastIndexOf(c.usageMarker!);
  const eventStart = c.fixture.endsWith(".bin")
    ? frameStartBefore(body, at)
    : body.lastIndexOf("\n", body.lastIndexOf("\n", at) - 1) + 1;
  return { ...c, cut: body.subarray(0, eventStart) };
});

function frameStartBefore(body: Buffer, offset: number): number {
  let last = 0;
  for (let at = 0; at < offset; at += body.readUInt32BE(at)) last = at;
  return last;
}

function meter(c: (typeof cutStreams)[number], policy?: MissingUsagePolicy) {
  return extractUsage(
    exchange({
      path: c.path,
      request: c.request ?? request,
      response: c.cut,
      ...(c.contentType ? { responseType: c.contentType } : {}),
    }),
    policy ? { missingUsage: policy } : {},
  );
}

describe.each(cutStreams)("a cut-off $name", (c) => {
  it("is estimated by default, and the row says the stream was cut", () => {
    const usage = meter(c);
    expect(usage).toMatchObject({ source: "estimated", model: c.expected.model });
    expect(usage.parser).toMatch(/^estimate:/);
    expect(usage.parseError).toMatch(/cut off|no usage|ended with/);
    expect(usage.inputTokens).toBeGreaterThan(0);
    expect(usage.totalTokens).toBe(usage.inputTokens + usage.outputTokens);
  });

  it("records zero tokens under the zero policy, and says why", () => {
    const usage = meter(c, "zero");
    expect(usage).toMatchObject({
      source: "none",
      model: c.expected.model,
      parser: c.expected.parser,
      inputTokens: 0,
      outputTokens: 0,
      totalTokens: 0,
    });
    expect(usage.parseError).toMatch(/; not estimated \(policy zero\)$/);
  });
});

describe("estimates of cut-off streams", () => {
  it("keeps Anthropic's reported input side and counts the streamed text as output", () => {
    const body = fixture("anthropic-stream.sse").toString();
    const cut = body.slice(0, body.indexOf("event: content_block_stop"));
    const usage = extractUsage(exchange({ path: "/v1/messages", response: cut }));
    expect(usage).toMatchObject({
      source: "estimated",
      model: "claude-3-5-haiku-20241022",
      inputTokens: 2073,
      cachedInputTokens: 2048,
      // "Hello! How can I help you today?" in cl100k_base.
      outputTokens: 9,
      totalTokens: 2082,
      parseError: "stream cut off before message_delta; estimated with cl100k_base (input as reported)",
    });
  });

  it("takes Gemini's last running totals when the final chunk never came", () => {
    const body = fixture("gemini-stream-crlf.sse").toString();
    const cut = body.slice(0, body.lastIndexOf("data:"));
    const usage = extractUsage(
      exchange({ path: "/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse", response: cut }),
    );
    expect(usage).toMatchObject({
      source: "estimated",
      inputTokens: 8210,
      cachedInputTokens: 8000,
      parseError: "stream cut off before its final chunk; estimated with cl100k_base (input as reported)",
    });
    expect(usage.outputTokens).toBeGreaterThan(5);
  });

  it("says a ConverseStream ended in an exception frame", async () => {
    const { encodeEventFrame } = await import("../src/eventstream.js");
    const frames = Buffer.concat([
      encodeEventFrame("messageStart", { role: "assistant" }),
      encodeEventFrame("contentBlockDelta", { contentBlockIndex: 0, delta: { text: "Hel" } }),
      exceptionFrame("throttlingException", { message: "Too many requests" }),
    ]);
    const usage = extractUsage(
      exchange({ path: "/model/amazon.nova-pro-v1%3A0/converse-stream", response: frames }),
      {
        missingUsage: "zero",
      },
    );
    expect(usage).toMatchObject({
      source: "none",
      model: "amazon.nova-pro-v1:0",
      parser: "bedrock-converse-stream",
      parseError: "stream ended with throttlingException; not estimated (policy zero)",
    });
  });

  it("extrapolates the output of a truncated capture from the bytes it dropped", () => {
    const chunk = (text: string) =>
      `data: ${JSON.stringify({ object: "chat.completion.chunk", model: "gpt-4o", choices: [{ index: 0, delta: { content: text } }] })}\n\n`;
    const body = Array.from({ length: 1500 }, () => chunk(" word")).join("");
    const whole = extractUsage(exchange({ path: "/v1/chat/completions", request, response: body }));
    expect(whole.source).toBe("estimated");
    const cut = extractUsage(
      exchange({
        path: "/v1/chat/completions",
        request,
        response: capture(body, { headMax: 16 * 1024, tailMax: 16 * 1024 }),
      }),
    );
    expect(whole.outputTokens).toBeGreaterThanOrEqual(1500);
    expect(cut.parseError).toMatch(/output extrapolated from a truncated capture/);
    expect(Math.abs(cut.outputTokens - whole.outputTokens)).toBeLessThan(whole.outputTokens * 0.1);
  });
});

/** An event-stream exception frame, as Bedrock sends one mid-stream. */
function exceptionFrame(type: string, payload: unknown): Buffer {
  // Built through the codec's own encoder so the CRCs are real.
  const { createRequire } = require("node:module") as typeof import("node:module");
  const { EventStreamCodec } = createRequire(import.meta.url)("@smithy/eventstream-codec");
  const codec = new EventStreamCodec(
    (b: Uint8Array) => Buffer.from(b).toString("utf8"),
    (s: string) => new Uint8Array(Buffer.from(s)),
  );
  const frame: Uint8Array = codec.encode({
    headers: {
      ":exception-type": { type: "string", value: type },
      ":content-type": { type: "string", value: "application/json" },
      ":message-type": { type: "string", value: "exception" },
    },
    body: new Uint8Array(Buffer.from(JSON.stringify(payload))),
  });
  return Buffer.from(frame);
}
