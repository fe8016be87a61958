import { describe, expect, it } from "vitest";
import { capture, exchange, fixture } from "../../test/helpers.js";
import { extractUsage } from "../index.js";

describe("OpenAI embeddings", () => {
  it("counts prompt tokens as input and nothing as output", () => {
    const usage = extractUsage(
      exchange({ path: "/v1/embeddings", response: fixture("openai-embeddings.json") }),
    );
    expect(usage).toMatchObject({
      model: "text-embedding-3-small",
      inputTokens: 8,
      outputTokens: 0,
      totalTokens: 8,
      source: "reported",
      parser: "openai-embeddings",
    });
  });

  it("finds usage and model in the tail of a truncated batch of vectors", () => {
    const data = Array.from({ length: 200 }, (_, index) => ({
      object: "embedding",
      index,
      embedding: Array.from({ length: 256 }, (_, i) => Math.sin(index + i) / 7),
    }));
    const body = JSON.stringify({
      object: "list",
      data,
      model: "text-embedding-3-large",
      usage: { prompt_tokens: 4000, total_tokens: 4000 },
    });
    const response = capture(body, { headMax: 4096, tailMax: 1024 });
    expect(response.truncated).toBe(true);
    const usage = extractUsage(exchange({ path: "/v1/embeddings", response }));
    expect(usage).toMatchObject({
      model: "text-embedding-3-large",
      inputTokens: 4000,
      totalTokens: 4000,
      source: "reported",
    });
  });
});
