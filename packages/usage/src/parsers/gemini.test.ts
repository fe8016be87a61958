import { describe, expect, it } from "vitest";
import { exchange, fixture } from "../../test/helpers.js";
import { extractUsage } from "../index.js";

describe("Gemini", () => {
  it("adds thoughts to output tokens and keeps cached content inside the prompt", () => {
    const usage = extractUsage(
      exchange({
        path: "/v1beta/models/gemini-2.5-pro:generateContent",
        response: fixture("gemini-generate.json"),
      }),
    );
    expect(usage).toEqual({
      model: "gemini-2.5-pro",
      inputTokens: 4512,
      cachedInputTokens: 4096,
      cacheWriteTokens: 0,
      cacheWrite1hTokens: 0,
      outputTokens: 320 + 1080,
      reasoningTokens: 1080,
      totalTokens: 5912,
      source: "reported",
      parser: "gemini",
      parseError: null,
    });
  });

  it("takes the last cumulative usageMetadata of an SSE stream", () => {
    const usage = extractUsage(
      exchange({
        path: "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
        response: fixture("gemini-stream.sse"),
        responseType: "text/event-stream",
      }),
    );
    expect(usage).toMatchObject({
      model: "gemini-2.5-flash",
      inputTokens: 12,
      outputTokens: 24 + 124,
      reasoningTokens: 124,
      totalTokens: 160,
      parser: "gemini-sse",
    });
  });

  it("reads a streamed JSON array (no alt=sse)", () => {
    const usage = extractUsage(
      exchange({
        path: "/v1beta/models/gemini-2.0-flash:streamGenerateContent",
        response: fixture("gemini-stream-array.json"),
      }),
    );
    expect(usage).toMatchObject({
      model: "gemini-2.0-flash",
      inputTokens: 8,
      outputTokens: 9,
      totalTokens: 17,
      parser: "gemini",
    });
  });

  it("adds tool-use prompt tokens to input", () => {
    const body = {
      usageMetadata: {
        promptTokenCount: 100,
        toolUsePromptTokenCount: 40,
        candidatesTokenCount: 10,
        totalTokenCount: 150,
      },
    };
    const usage = extractUsage(
      exchange({ path: "/v1beta/models/gemini-2.5-flash:generateContent", response: JSON.stringify(body) }),
    );
    expect(usage).toMatchObject({
      inputTokens: 140,
      outputTokens: 10,
      totalTokens: 150,
      model: "gemini-2.5-flash",
    });
  });

  it("keeps a reported total larger than input plus output", () => {
    const body = { usageMetadata: { promptTokenCount: 100, candidatesTokenCount: 10, totalTokenCount: 300 } };
    const usage = extractUsage(
      exchange({ path: "/v1/models/gemini-pro:generateContent", response: JSON.stringify(body) }),
    );
    expect(usage).toMatchObject({ inputTokens: 100, outputTokens: 10, totalTokens: 300 });
  });

  it("falls back to the path's model when the response has no modelVersion", () => {
    const body = { candidates: [], usageMetadata: { promptTokenCount: 5, totalTokenCount: 5 } };
    const usage = extractUsage(
      exchange({
        path: "/v1beta/models/gemini-1.5-flash-002:generateContent",
        response: JSON.stringify(body),
      }),
    );
    expect(usage).toMatchObject({ model: "gemini-1.5-flash-002", inputTokens: 5, source: "reported" });
  });
});
