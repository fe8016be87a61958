import { describe, expect, it } from "vitest";
import { encodeEventFrame } from "../src/eventstream.js";
import { extractUsage, MAX_JSON_DEPTH } from "../src/index.js";
import { capture, exchange, fixture } from "./helpers.js";

const chat = "/v1/chat/completions";

describe("bodies that must not be billed", () => {
  it("records zero tokens for a 200 error body whose numbers are not usage", () => {
    const usage = extractUsage(exchange({ path: chat, response: fixture("error-with-numbers-200.json") }));
    expect(usage).toMatchObject({ source: "none", inputTokens: 0, outputTokens: 0, totalTokens: 0 });
    expect(usage.parseError).toBe("response has no usage");
  });

  it("does not take usage keys quoted inside the text of a truncated body", () => {
    const text =
      'As JSON: {\\"model\\": \\"fake\\", \\"prompt_tokens\\": 777, \\"completion_tokens\\": 888} '.repeat(
        400,
      );
    const body = `{"id":"x","object":"chat.completion","model":"gpt-4o","choices":[{"message":{"content":"${text}"}}]}`;
    const usage = extractUsage(
      exchange({ path: chat, response: capture(body, { headMax: 4096, tailMax: 4096 }) }),
    );
    expect(usage).toMatchObject({ source: "none", model: "gpt-4o", totalTokens: 0 });
  });

  it("does not search an unknown whole JSON body with the default key patterns", () => {
    const body = { result: { items: [{ prompt_tokens: 5, completion_tokens: 6 }] } };
    const usage = extractUsage(exchange({ path: "/custom", response: JSON.stringify(body) }));
    expect(usage).toMatchObject({ source: "none", totalTokens: 0 });
  });

  it("still lets an operator rule read such a body", () => {
    const body = { result: { items: [{ prompt_tokens: 5, completion_tokens: 6 }] } };
    const rule = {
      name: "items",
      inputTokens: '"prompt_tokens":(\\d+)',
      outputTokens: '"completion_tokens":(\\d+)',
    };
    const usage = extractUsage(exchange({ path: "/custom", response: JSON.stringify(body) }), {
      rules: [rule],
    });
    expect(usage).toMatchObject({ source: "rule", inputTokens: 5, outputTokens: 6 });
  });

  it("does not take usage from an error object in a stream event", () => {
    const body =
      'data: {"object":"chat.completion.chunk","model":"m","choices":[{"index":0,"delta":{"content":"x"}}]}\n\n' +
      'data: {"error":{"message":"overloaded","usage":{"prompt_tokens":9000,"completion_tokens":1}}}\n\n';
    const usage = extractUsage(exchange({ path: "/stream", response: body }), { missingUsage: "zero" });
    expect(usage).toMatchObject({ source: "none", totalTokens: 0 });
  });
});

describe("bounded work on hostile bodies", () => {
  it("records a parse error for JSON nested beyond the depth bound", () => {
    const deep = `${"[".repeat(100_000)}${"]".repeat(100_000)}`;
    const usage = extractUsage(exchange({ path: "/custom", response: deep }));
    expect(usage.source).toBe("none");
    expect(usage.parseError).toContain(`nested deeper than ${MAX_JSON_DEPTH} levels`);
    // Larger than the whole-parse window, the same body is read as head and tail: still no usage, no throw.
    const huge = `${'{"a":'.repeat(400_000)}1${"}".repeat(400_000)}`;
    const hugeUsage = extractUsage(exchange({ path: "/custom", response: huge }));
    expect(hugeUsage).toMatchObject({ source: "none", totalTokens: 0 });
    expect(hugeUsage.parseError).not.toMatch(/^internal error/);
  });

  it("accepts usage at ordinary depth beside a deeply nested but bounded value", () => {
    const nested = `${"[".repeat(100)}${"]".repeat(100)}`;
    const body = `{"object":"chat.completion","model":"m","x":${nested},"usage":{"prompt_tokens":1,"completion_tokens":2}}`;
    expect(extractUsage(exchange({ path: chat, response: body }))).toMatchObject({ totalTokens: 3 });
  });

  it("reads a 2 MB body through its head and tail windows", () => {
    const content = "é word ".repeat(300_000);
    const body = JSON.stringify({
      object: "chat.completion",
      model: "gpt-4o-2024-11-20",
      choices: [{ message: { content } }],
      usage: { prompt_tokens: 12, completion_tokens: 600_000, total_tokens: 600_012 },
    });
    expect(body.length).toBeGreaterThan(2_000_000);
    expect(extractUsage(exchange({ path: chat, response: body }))).toMatchObject({
      model: "gpt-4o-2024-11-20",
      inputTokens: 12,
      outputTokens: 600_000,
      source: "reported",
      parser: "openai-chat",
    });
  });

  it("resynchronises on the frames of an event-stream tail that starts mid-frame", () => {
    const frames = Buffer.concat([
      encodeEventFrame("messageStart", { role: "assistant" }),
      ...Array.from({ length: 400 }, () => encodeEventFrame("contentBlockDelta", { delta: { text: "ab" } })),
      encodeEventFrame("metadata", { usage: { inputTokens: 3, outputTokens: 800, totalTokens: 803 } }),
    ]);
    for (const tailMax of [1000, 1001, 1005, 1013]) {
      const usage = extractUsage(
        exchange({
          path: "/model/amazon.nova-lite-v1%3A0/converse-stream",
          response: capture(frames, { headMax: 777, tailMax }),
        }),
      );
      expect(usage).toMatchObject({ source: "reported", inputTokens: 3, outputTokens: 800 });
    }
  });

  it("never throws on a capture cut inside an event-stream frame", () => {
    const frames = fixture("bedrock-converse-stream.bin");
    for (let end = 0; end < frames.length; end += 3) {
      const usage = extractUsage(
        exchange({ path: "/model/m/converse-stream", response: frames.subarray(0, end) }),
        { missingUsage: "zero" },
      );
      expect(usage.parseError ?? "").not.toMatch(/^internal error/);
    }
  });

  it("ignores a frame whose message CRC is wrong, and what follows it", () => {
    const good = encodeEventFrame("metadata", { usage: { inputTokens: 1, outputTokens: 1 } });
    const bad = Buffer.from(good);
    bad[bad.length - 1] = (bad.at(-1) ?? 0) ^ 0xff;
    const usage = extractUsage(exchange({ path: "/model/m/converse-stream", response: bad }), {
      missingUsage: "zero",
    });
    expect(usage).toMatchObject({ source: "none", totalTokens: 0 });
  });
});
