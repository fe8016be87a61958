import { describe, expect, it } from "vitest";
import { capture } from "../test/helpers.js";
import { requestedModel } from "./index.js";

const req = (path: string, body: string | Buffer, headMax?: number, tailMax?: number) => ({
  path,
  request: { body: capture(body, { headMax, tailMax }) },
});

describe("requestedModel", () => {
  it("reads the request body's model", () => {
    expect(requestedModel(req("/v1/chat/completions", '{"model":"gpt-4o","messages":[]}'))).toBe("gpt-4o");
  });

  it("reads the model of a Gemini or Vertex path", () => {
    expect(requestedModel(req("/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse", ""))).toBe(
      "gemini-2.5-pro",
    );
    const vertex =
      "/v1/projects/p/locations/us-central1/publishers/google/models/gemini-2.0-flash-001:generateContent";
    expect(requestedModel(req(vertex, ""))).toBe("gemini-2.0-flash-001");
  });

  it("finds the model after a huge prompt in a truncated request body", () => {
    const body = JSON.stringify({
      messages: [{ role: "user", content: "x".repeat(100_000) }],
      model: "gpt-4.1",
    });
    expect(requestedModel(req("/v1/chat/completions", body, 1024, 1024))).toBe("gpt-4.1");
  });

  it("returns null for a body without a model and an ordinary path", () => {
    expect(requestedModel(req("/v1/chat/completions", "not json"))).toBeNull();
    expect(requestedModel(req("/v1/chat/completions", '{"model":""}'))).toBeNull();
  });

  it("cuts an absurdly long model name to the column size", () => {
    const model = requestedModel(req("/x", JSON.stringify({ model: "m".repeat(500) })));
    expect(model?.length).toBe(200);
  });
});
