import { describe, expect, it } from "vitest";
import { exchange, fixture } from "../../test/helpers.js";
import { extractUsage } from "../index.js";

const path = "/v1/messages";

function sse(...events: [string, Record<string, unknown>][]): string {
  return events.map(([name, data]) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`).join("");
}

const start = (usage: Record<string, unknown>) =>
  ["message_start", { type: "message_start", message: { model: "claude-opus-4-1-20250805", usage } }] as [
    string,
    Record<string, unknown>,
  ];
const delta = (usage: Record<string, unknown>) =>
  ["message_delta", { type: "message_delta", delta: { stop_reason: "end_turn" }, usage }] as [
    string,
    Record<string, unknown>,
  ];

describe("Anthropic Messages", () => {
  it("counts Anthropic cache reads and writes inside input tokens", () => {
    const usage = extractUsage(exchange({ path, response: fixture("anthropic-message.json") }));
    expect(usage).toEqual({
      model: "claude-sonnet-4-20250514",
      inputTokens: 21 + 1500 + 3000,
      cachedInputTokens: 3000,
      cacheWriteTokens: 1500,
      cacheWrite1hTokens: 0,
      outputTokens: 393,
      reasoningTokens: 0,
      totalTokens: 4521 + 393,
      source: "reported",
      parser: "anthropic-messages",
      parseError: null,
    });
  });

  it("combines message_start input with the message_delta output of a stream", () => {
    const usage = extractUsage(
      exchange({ path, response: fixture("anthropic-stream.sse"), responseType: "text/event-stream" }),
    );
    expect(usage).toMatchObject({
      model: "claude-3-5-haiku-20241022",
      inputTokens: 25 + 2048,
      cachedInputTokens: 2048,
      cacheWriteTokens: 0,
      outputTokens: 15,
      totalTokens: 2073 + 15,
      source: "reported",
      parser: "anthropic-messages-sse",
    });
  });

  it("takes the last cumulative output_tokens of a message_delta instead of summing", () => {
    const body = sse(
      start({ input_tokens: 10, output_tokens: 1 }),
      delta({ output_tokens: 40 }),
      delta({ output_tokens: 90 }),
    );
    const usage = extractUsage(exchange({ path, response: body }));
    expect(usage).toMatchObject({ inputTokens: 10, outputTokens: 90, totalTokens: 100 });
  });

  it("prefers input and cache counts carried by a newer message_delta", () => {
    const body = sse(
      start({ input_tokens: 10, cache_read_input_tokens: 0, output_tokens: 1 }),
      delta({
        input_tokens: 12,
        cache_creation_input_tokens: 100,
        cache_read_input_tokens: 50,
        output_tokens: 7,
      }),
    );
    const usage = extractUsage(exchange({ path, response: body }));
    expect(usage).toMatchObject({
      inputTokens: 162,
      cachedInputTokens: 50,
      cacheWriteTokens: 100,
      outputTokens: 7,
    });
  });

  it("ignores null counts in a message_delta", () => {
    const body = sse(
      start({ input_tokens: 30, output_tokens: 1 }),
      delta({ input_tokens: null, output_tokens: 5 }),
    );
    expect(extractUsage(exchange({ path, response: body }))).toMatchObject({
      inputTokens: 30,
      outputTokens: 5,
    });
  });

  it("detects an Anthropic stream on a Vertex rawPredict path and reads the model from the path", () => {
    const body = fixture("anthropic-stream.sse")
      .toString()
      .replace(/"model":"[^"]+",/, "");
    const vertex =
      "/v1/projects/p/locations/us-east5/publishers/anthropic/models/claude-3-5-haiku@20241022:streamRawPredict";
    const usage = extractUsage(exchange({ path: vertex, response: body }));
    expect(usage).toMatchObject({
      parser: "anthropic-messages-sse",
      model: "claude-3-5-haiku@20241022",
      outputTokens: 15,
    });
  });

  it("returns no usage and no parse error for an error status, with the requested model", () => {
    const usage = extractUsage(
      exchange({
        path,
        status: 400,
        request: fixture("anthropic-request.json"),
        response: fixture("anthropic-error.json"),
      }),
    );
    expect(usage).toMatchObject({
      model: "claude-sonnet-4-20250514",
      inputTokens: 0,
      totalTokens: 0,
      source: "none",
      parser: null,
      parseError: null,
    });
  });

  it("does not bill the count_tokens endpoint", () => {
    const usage = extractUsage(
      exchange({ path: "/v1/messages/count_tokens", response: '{"input_tokens":2095}' }),
    );
    expect(usage).toMatchObject({ source: "none", inputTokens: 0, parseError: null });
  });
});
