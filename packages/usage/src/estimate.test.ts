import { describe, expect, it } from "vitest";
import { capture, exchange } from "../test/helpers.js";
import { encodingFor } from "./estimate.js";
import { extractUsage } from "./index.js";

const sse = (pieces: string[], model = "gpt-4") =>
  `${pieces
    .map(
      (p) =>
        `data: ${JSON.stringify({ object: "chat.completion.chunk", model, choices: [{ index: 0, delta: { content: p } }] })}\n\n`,
    )
    .join("")}data: [DONE]\n\n`;

describe("tokenizer estimates", () => {
  it("counts an OpenAI stream without usage: chat overhead + role + text in, streamed text out", () => {
    const usage = extractUsage(
      exchange({
        path: "/v1/chat/completions",
        request: {
          model: "gpt-4",
          stream: true,
          messages: [{ role: "user", content: "Hello from the fake upstream." }],
        },
        response: sse(["Hello", " from", " the", " fake", " upstream."]),
        responseType: "text/event-stream",
      }),
    );
    // cl100k_base: "Hello from the fake upstream." is 6 tokens, "user" 1; 3 per message + 3 to prime the reply.
    expect(usage).toMatchObject({
      source: "estimated",
      parser: "estimate:cl100k_base",
      inputTokens: 3 + 3 + 1 + 6,
      outputTokens: 6,
      totalTokens: 19,
      model: "gpt-4",
    });
  });

  it("counts special-token text as plain text instead of failing", () => {
    const usage = extractUsage(
      exchange({
        path: "/v1/chat/completions",
        request: { model: "gpt-4", stream: true, messages: [{ role: "user", content: "<|endoftext|>" }] },
        response: sse(["ok"]),
        responseType: "text/event-stream",
      }),
    );
    expect(usage.source).toBe("estimated");
    expect(usage.inputTokens).toBeGreaterThan(7);
  });

  it("extrapolates the prompt of a request body cut by the capture from its true size", () => {
    const big = "word ".repeat(100_000);
    const usage = extractUsage(
      exchange({
        path: "/v1/chat/completions",
        request: capture(
          JSON.stringify({ model: "gpt-4", stream: true, messages: [{ role: "user", content: big }] }),
          {
            headMax: 1024,
            tailMax: 1024,
          },
        ),
        response: sse(["ok"]),
        responseType: "text/event-stream",
      }),
    );
    // "word " is one token; the JSON around it a handful more.
    expect(usage).toMatchObject({ source: "estimated", outputTokens: 1 });
    expect(usage.inputTokens).toBeGreaterThan(95_000);
    expect(usage.inputTokens).toBeLessThan(110_000);
    expect(usage.parseError).toMatch(/prompt extrapolated from a truncated capture/);
  });

  it("picks o200k_base for the GPT-4o generation and cl100k_base for older models", () => {
    expect(encodingFor("gpt-4o-mini")).toBe("o200k_base");
    expect(encodingFor("o3-mini")).toBe("o200k_base");
    expect(encodingFor("gpt-4-0613")).toBe("cl100k_base");
    expect(encodingFor(null)).toBe("cl100k_base");
  });
});
