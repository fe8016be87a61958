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

  it("strips Bedrock vendor and region prefixes", () => {
    expect(normaliseModelName("anthropic.claude-3-haiku-20240307-v1:0")).toBe("claude-3-haiku-20240307-v1:0");
    expect(normaliseModelName("us.anthropic.claude-3-5-sonnet-20241022-v2:0")).toBe(
      "claude-3-5-sonnet-20241022-v2:0",
    );
    expect(normaliseModelName("bedrock/eu.anthropic.claude-3-haiku-20240307-v1:0")).toBe(
      "claude-3-haiku-20240307-v1:0",
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

  it("does not treat sizes or model versions as snapshot suffixes", () => {
    expect(candidateModelKeys("gpt-3.5-turbo-16k")).toEqual(["gpt-3.5-turbo-16k"]);
    expect(candidateModelKeys("gemini-1.5-flash-8b")).toEqual(["gemini-1.5-flash-8b"]);
    expect(candidateModelKeys("claude-3-5-sonnet")).toEqual(["claude-3-5-sonnet"]);
    expect(candidateModelKeys("claude-opus-4-1")).toEqual(["claude-opus-4-1"]);
    expect(candidateModelKeys("gpt-4-turbo")).toEqual(["gpt-4-turbo"]);
  });
});
