import { describe, expect, it } from "vitest";
import { exchange, fixture } from "../../test/helpers.js";
import { extractUsage } from "../index.js";

describe("generic JSON usage search", () => {
  it("reads Ollama prompt_eval_count and eval_count, not the durations", () => {
    const usage = extractUsage(exchange({ path: "/api/chat", response: fixture("ollama-chat.json") }));
    expect(usage).toMatchObject({
      model: "llama3.2",
      inputTokens: 26,
      outputTokens: 298,
      totalTokens: 324,
      source: "reported",
      parser: "ollama",
    });
  });

  it("reads the final line of an Ollama NDJSON stream", () => {
    const usage = extractUsage(
      exchange({
        path: "/api/chat",
        response: fixture("ollama-chat-stream.ndjson"),
        responseType: "application/x-ndjson",
      }),
    );
    expect(usage).toMatchObject({
      model: "llama3.2",
      inputTokens: 26,
      outputTokens: 282,
      parser: "ollama",
    });
  });

  it("finds an OpenAI-style usage object nested in an unknown envelope", () => {
    const body = {
      result: {
        model: "mistral-large-latest",
        usage: { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 },
      },
    };
    const usage = extractUsage(exchange({ path: "/custom/run", response: JSON.stringify(body) }));
    expect(usage).toMatchObject({
      model: "mistral-large-latest",
      inputTokens: 7,
      outputTokens: 3,
      parser: "generic-json",
    });
  });

  it("applies Anthropic semantics when cache_read_input_tokens is present", () => {
    const body = { usage: { input_tokens: 5, cache_read_input_tokens: 100, output_tokens: 2 } };
    const usage = extractUsage(exchange({ path: "/proxy/x", response: JSON.stringify(body) }));
    expect(usage).toMatchObject({ inputTokens: 105, cachedInputTokens: 100, outputTokens: 2 });
  });

  it("reads Bedrock Converse camelCase usage with cache writes outside inputTokens", () => {
    const body = {
      output: {},
      usage: {
        inputTokens: 4,
        outputTokens: 3,
        totalTokens: 1237,
        cacheReadInputTokens: 0,
        cacheWriteInputTokens: 1230,
      },
    };
    const usage = extractUsage(
      exchange({
        path: "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse",
        response: JSON.stringify(body),
      }),
    );
    expect(usage).toMatchObject({
      model: "anthropic.claude-3-haiku-20240307-v1:0",
      inputTokens: 1234,
      cacheWriteTokens: 1230,
      outputTokens: 3,
      totalTokens: 1237,
    });
  });

  it("searches the events of an unknown SSE stream from the end", () => {
    const body =
      'data: {"model":"m1","tokens":"a"}\n\ndata: {"usage":{"prompt_tokens":3,"completion_tokens":4}}\n\n';
    const usage = extractUsage(exchange({ path: "/stream", response: body }));
    expect(usage).toMatchObject({ model: "m1", inputTokens: 3, outputTokens: 4, parser: "generic-sse" });
  });
});
