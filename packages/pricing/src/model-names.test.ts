import { describe, expect, it } from "vitest";
import { candidateModelKeys, normaliseModelName } from "./model-names.js";

describe("normaliseModelName", () => {
  it("lower-cases and trims", () => {
    expect(normaliseModelName("  GPT-4 ")).toBe("gpt-4");
    expect(normaliseModelName("Claude-3-haiku")).toBe("claude-3-haiku");
  });

  it("strips gateway and SDK path prefixes", () => {
    expect(normaliseModelName("openai/gpt-4o")).toBe("gpt-4o");
    expect(normaliseModelName("anthropic/claude-3-haiku")).toBe("claude-3-haiku");
    expect(normaliseModelName("models/gemini-pro")).toBe("gemini-pro");
    expect(normaliseModelName("google/gemini-pro")).toBe("gemini-pro");
    expect(normaliseModelName("publishers/google/models/gemini-1.0-pro")).toBe("gemini-1.0-pro");
    expect(
      normaliseModelName(
        "projects/p1/locations/us-east5/publishers/anthropic/models/claude-3-haiku@20240307",
      ),
    ).toBe("claude-3-haiku@20240307");
  });

  it("keeps a Bedrock id's vendor, drops its region except global", () => {
    expect(normaliseModelName("anthropic.claude-3-haiku-20240307-v1:0")).toBe(
      "anthropic.claude-3-haiku-20240307-v1:0",
    );
    expect(normaliseModelName("us.anthropic.claude-3-5-sonnet-20241022-v2:0")).toBe(
      "anthropic.claude-3-5-sonnet-20241022-v2:0",
    );
    expect(normaliseModelName("bedrock/eu.anthropic.claude-3-haiku-20240307-v1:0")).toBe(
      "anthropic.claude-3-haiku-20240307-v1:0",
    );
    expect(normaliseModelName("apac.amazon.nova-pro-v1:0")).toBe("amazon.nova-pro-v1:0");
    expect(normaliseModelName("global.anthropic.claude-sonnet-4-5-20250929-v1:0")).toBe(
      "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
    );
  });

  it("decodes percent-encoded ids and strips Bedrock ARNs", () => {
    expect(normaliseModelName("us.anthropic.claude-3-5-sonnet-20241022-v2%3A0")).toBe(
      "anthropic.claude-3-5-sonnet-20241022-v2:0",
    );
    expect(
      normaliseModelName(
        "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-haiku-20240307-v1:0",
      ),
    ).toBe("anthropic.claude-3-haiku-20240307-v1:0");
    expect(
      normaliseModelName("arn%3Aaws%3Abedrock%3Aus-east-1%3A%3Afoundation-model%2Famazon.nova-lite-v1%3A0"),
    ).toBe("amazon.nova-lite-v1:0");
    expect(normaliseModelName("bad%E0%A4%A")).toBe("bad%e0%a4%a");
  });

  it("strips gateway prefixes of hosted providers but keeps organisation ids", () => {
    expect(normaliseModelName("groq/llama-3.3-70b-versatile")).toBe("llama-3.3-70b-versatile");
    expect(normaliseModelName("x-ai/grok-4")).toBe("grok-4");
    expect(normaliseModelName("mistralai/Mixtral-8x7B-Instruct-v0.1")).toBe(
      "mistralai/mixtral-8x7b-instruct-v0.1",
    );
  });

  it("keeps other organisation prefixes and dots inside names", () => {
    expect(normaliseModelName("meta-llama/Llama-3-70b")).toBe("meta-llama/llama-3-70b");
    expect(normaliseModelName("gpt-3.5-turbo")).toBe("gpt-3.5-turbo");
    expect(normaliseModelName("us.gpt-4")).toBe("us.gpt-4");
  });
});

describe("candidateModelKeys", () => {
  it("lists the name, then base names of dated and versioned suffixes, longest first", () => {
    expect(candidateModelKeys("gpt-4-32k-0613")).toEqual(["gpt-4-32k-0613", "gpt-4-32k"]);
    expect(candidateModelKeys("gpt-4o-2024-08-06")).toEqual(["gpt-4o-2024-08-06", "gpt-4o"]);
    expect(candidateModelKeys("claude-3-haiku@20240307")).toEqual([
      "claude-3-haiku@20240307",
      "claude-3-haiku",
    ]);
    expect(candidateModelKeys("gemini-1.5-pro-latest")).toEqual(["gemini-1.5-pro-latest", "gemini-1.5-pro"]);
    expect(candidateModelKeys("claude-3-haiku-20240307-v1:0")).toEqual([
      "claude-3-haiku-20240307-v1:0",
      "claude-3-haiku",
    ]);
  });

  it("falls back from a Bedrock id to its maker's names, and from global straight to the maker", () => {
    expect(candidateModelKeys("anthropic.claude-3-haiku-20240307-v1:0")).toEqual([
      "anthropic.claude-3-haiku-20240307-v1:0",
      "anthropic.claude-3-haiku",
      "claude-3-haiku-20240307-v1:0",
      "claude-3-haiku",
    ]);
    expect(candidateModelKeys("global.anthropic.claude-opus-4-5-20251101-v1:0")).toEqual([
      "global.anthropic.claude-opus-4-5-20251101-v1:0",
      "global.anthropic.claude-opus-4-5",
      "claude-opus-4-5-20251101-v1:0",
      "claude-opus-4-5",
    ]);
  });

  it("does not treat sizes or model versions as snapshot suffixes", () => {
    expect(candidateModelKeys("gpt-3.5-turbo-16k")).toEqual(["gpt-3.5-turbo-16k"]);
    expect(candidateModelKeys("gemini-1.5-flash-8b")).toEqual(["gemini-1.5-flash-8b"]);
    expect(candidateModelKeys("claude-3-5-sonnet")).toEqual(["claude-3-5-sonnet"]);
    expect(candidateModelKeys("claude-opus-4-1")).toEqual(["claude-opus-4-1"]);
    expect(candidateModelKeys("gpt-4-turbo")).toEqual(["gpt-4-turbo"]);
  });
});
