import { describe, expect, it } from "vitest";
import { exchange, fixture } from "../../test/helpers.js";
import { extractUsage } from "../index.js";

const path = "/v1/responses";

describe("OpenAI Responses API", () => {
  it("keeps cached and reasoning tokens inside input and output tokens", () => {
    const usage = extractUsage(exchange({ path, response: fixture("openai-responses.json") }));
    expect(usage).toEqual({
      model: "o4-mini-2025-04-16",
      inputTokens: 1280,
      cachedInputTokens: 1152,
      cacheWriteTokens: 0,
      cacheWrite1hTokens: 0,
      outputTokens: 640,
      reasoningTokens: 512,
      totalTokens: 1920,
      source: "reported",
      parser: "openai-responses",
      parseError: null,
    });
  });

  it("takes usage from the response.completed event of a stream", () => {
    const usage = extractUsage(
      exchange({ path, response: fixture("openai-responses-stream.sse"), responseType: "text/event-stream" }),
    );
    expect(usage).toMatchObject({
      model: "gpt-4.1-2025-04-14",
      inputTokens: 37,
      outputTokens: 11,
      totalTokens: 48,
      source: "reported",
      parser: "openai-responses-sse",
    });
  });

  it("records no tokens for a stream cut before response.completed under the zero policy", () => {
    const full = fixture("openai-responses-stream.sse").toString();
    const cut = full.slice(0, full.indexOf("event: response.completed"));
    const usage = extractUsage(exchange({ path, response: cut }), { missingUsage: "zero" });
    expect(usage).toMatchObject({
      source: "none",
      model: "gpt-4.1-2025-04-14",
      parser: "openai-responses-sse",
      totalTokens: 0,
      parseError: "stream cut off before response.completed; not estimated (policy zero)",
    });
  });

  it("estimates a stream cut before response.completed from its streamed text by default", () => {
    const full = fixture("openai-responses-stream.sse").toString();
    const cut = full.slice(0, full.indexOf("event: response.completed"));
    const usage = extractUsage(
      exchange({ path, request: { model: "gpt-4.1", input: "Say hello in four words." }, response: cut }),
    );
    expect(usage).toMatchObject({
      source: "estimated",
      model: "gpt-4.1-2025-04-14",
      parser: "estimate:o200k_base",
      parseError: "stream cut off before response.completed; estimated with o200k_base",
    });
    expect(usage.inputTokens).toBeGreaterThan(3);
    expect(usage.outputTokens).toBeGreaterThan(0);
  });

  it("explains a queued background response without usage", () => {
    const body = { id: "resp_1", object: "response", status: "queued", model: "o3-pro", usage: null };
    const usage = extractUsage(exchange({ path, response: JSON.stringify(body) }));
    expect(usage).toMatchObject({
      source: "none",
      model: "o3-pro",
      parseError: "response has no usage (status queued)",
    });
  });

  it("meters GET /v1/responses/{id}", () => {
    const usage = extractUsage(
      exchange({ method: "GET", path: "/v1/responses/resp_123", response: fixture("openai-responses.json") }),
    );
    expect(usage).toMatchObject({ parser: "openai-responses", outputTokens: 640 });
  });
});
