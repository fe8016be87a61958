import { describe, expect, it } from "vitest";
import { capture, exchange, fixture } from "../../test/helpers.js";
import { extractUsage } from "../index.js";

const path = "/v1/chat/completions";

describe("OpenAI Chat Completions", () => {
  it("keeps cached and reasoning tokens inside prompt and completion tokens", () => {
    const usage = extractUsage(exchange({ path, response: fixture("openai-chat.json") }));
    expect(usage).toEqual({
      model: "o3-mini-2025-01-31",
      inputTokens: 2006,
      cachedInputTokens: 1920,
      cacheWriteTokens: 0,
      cacheWrite1hTokens: 0,
      outputTokens: 300,
      reasoningTokens: 256,
      totalTokens: 2306,
      source: "reported",
      parser: "openai-chat",
      parseError: null,
    });
  });

  it("takes usage from the final empty-choices chunk of an include_usage stream", () => {
    const usage = extractUsage(
      exchange({
        path,
        request: fixture("openai-chat-request-stream.json"),
        response: fixture("openai-chat-stream.sse"),
        responseType: "text/event-stream; charset=utf-8",
      }),
    );
    expect(usage).toMatchObject({
      model: "gpt-4o-2024-08-06",
      inputTokens: 1134,
      cachedInputTokens: 1024,
      outputTokens: 9,
      totalTokens: 1143,
      source: "reported",
      parser: "openai-chat-sse",
      parseError: null,
    });
  });

  it("estimates a stream without usage with the model's tokenizer and says why", () => {
    const usage = extractUsage(
      exchange({
        path,
        request: { model: "gpt-4o-mini", stream: true, messages: [] },
        response: fixture("openai-chat-stream-no-usage.sse"),
        responseType: "text/event-stream",
      }),
    );
    expect(usage).toMatchObject({
      model: "gpt-4o-mini-2024-07-18",
      inputTokens: 3,
      source: "estimated",
      parser: "estimate:o200k_base",
      parseError:
        "stream has no usage (request lacked stream_options.include_usage); estimated with o200k_base",
    });
    expect(usage.outputTokens).toBeGreaterThan(0);
  });

  it("says the stream ended early when include_usage was requested but no usage came", () => {
    const usage = extractUsage(
      exchange({
        path,
        request: fixture("openai-chat-request-stream.json"),
        response: fixture("openai-chat-stream-no-usage.sse"),
      }),
    );
    expect(usage.source).toBe("estimated");
    expect(usage.parseError).toMatch(/no usage chunk.*; estimated with/);
  });

  it("detects a chat completion by content on an unknown path", () => {
    const usage = extractUsage(
      exchange({ path: "/openai/deploy/gpt4/chat", response: fixture("openai-chat.json") }),
    );
    expect(usage).toMatchObject({ parser: "openai-chat", inputTokens: 2006, source: "reported" });
  });

  it("reads DeepSeek prompt_cache_hit_tokens as cached input", () => {
    const body = {
      object: "chat.completion",
      model: "deepseek-chat",
      usage: {
        prompt_tokens: 100,
        completion_tokens: 5,
        prompt_cache_hit_tokens: 64,
        prompt_cache_miss_tokens: 36,
      },
    };
    const usage = extractUsage(exchange({ path, response: JSON.stringify(body) }));
    expect(usage).toMatchObject({ inputTokens: 100, cachedInputTokens: 64, totalTokens: 105 });
  });

  it("rejects cached tokens that exceed prompt tokens instead of guessing", () => {
    const body = {
      model: "gpt-4o",
      usage: { prompt_tokens: 10, completion_tokens: 1, prompt_tokens_details: { cached_tokens: 11 } },
    };
    const usage = extractUsage(exchange({ path, response: JSON.stringify(body) }));
    expect(usage).toMatchObject({
      source: "none",
      parser: "openai-chat",
      parseError: "cached tokens exceed input tokens",
    });
  });

  it("decodes a gzip chat completion", () => {
    const usage = extractUsage(
      exchange({ path, response: capture(fixture("openai-chat.json"), { compress: "gzip" }) }),
    );
    expect(usage).toMatchObject({ source: "reported", inputTokens: 2006 });
  });
});
