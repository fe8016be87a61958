import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { capture, exchange, fixture } from "../test/helpers.js";
import { type ExchangeForParsing, extractUsage, MAX_TOKEN_COUNT, PARSER_NAMES } from "./index.js";

const chatPath = "/v1/chat/completions";

describe("extractUsage on truncated captures", () => {
  it("finds usage in the tail of a large JSON body truncated in the middle", () => {
    const content = Array.from({ length: 20_000 }, (_, i) => `word${i} {"usage": ${i}}`).join(" ");
    const body = JSON.stringify({
      id: "chatcmpl-1",
      object: "chat.completion",
      model: "gpt-4o-2024-11-20",
      choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
      usage: {
        prompt_tokens: 91234,
        completion_tokens: 40321,
        total_tokens: 131555,
        prompt_tokens_details: { cached_tokens: 90000 },
        completion_tokens_details: { reasoning_tokens: 1024 },
      },
    });
    const response = capture(body, { headMax: 64 * 1024, tailMax: 16 * 1024 });
    expect(response.truncated).toBe(true);
    expect(extractUsage(exchange({ path: chatPath, response }))).toMatchObject({
      model: "gpt-4o-2024-11-20",
      inputTokens: 91234,
      cachedInputTokens: 90000,
      outputTokens: 40321,
      reasoningTokens: 1024,
      totalTokens: 131555,
      source: "reported",
      parser: "openai-chat",
    });
  });

  it("finds usage in the last events of an SSE stream truncated in the middle", () => {
    const sse = fixture("anthropic-stream.sse").toString();
    const [head, rest] = sse.split("event: content_block_stop");
    const deltas = Array.from(
      { length: 5000 },
      (_, i) =>
        `event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"chunk ${i}"}}\n\n`,
    ).join("");
    const response = capture(`${head}${deltas}event: content_block_stop${rest}`, {
      headMax: 2048,
      tailMax: 2048,
    });
    expect(response.truncated).toBe(true);
    expect(extractUsage(exchange({ path: "/v1/messages", response }))).toMatchObject({
      model: "claude-3-5-haiku-20241022",
      inputTokens: 2073,
      outputTokens: 15,
      source: "reported",
      parser: "anthropic-messages-sse",
    });
  });

  it("finds the include_usage chunk at the end of a long truncated chat stream", () => {
    const [first, ...rest] = fixture("openai-chat-stream.sse").toString().split("\n\n");
    const middle = `${rest[1]}\n\n`.repeat(3000);
    const response = capture(`${first}\n\n${middle}${rest.join("\n\n")}`, { headMax: 4096, tailMax: 4096 });
    expect(response.truncated).toBe(true);
    expect(extractUsage(exchange({ path: chatPath, response }))).toMatchObject({
      model: "gpt-4o-2024-08-06",
      inputTokens: 1134,
      outputTokens: 9,
      parser: "openai-chat-sse",
    });
  });

  it("decodes a brotli-compressed stream before parsing it", () => {
    const response = capture(fixture("gemini-stream.sse"), { compress: "br" });
    const usage = extractUsage(
      exchange({ path: "/v1beta/models/x:streamGenerateContent?alt=sse", response }),
    );
    expect(usage).toMatchObject({ source: "reported", totalTokens: 160, parser: "gemini-sse" });
  });

  it("says where it looked when a truncated stream lost its usage", () => {
    const chunk = fixture("openai-chat-stream-no-usage.sse").toString().split("\n\n")[1];
    const response = capture(`${chunk}\n\n`.repeat(500), { headMax: 1024, tailMax: 1024 });
    const usage = extractUsage(exchange({ path: chatPath, response }));
    expect(usage.parseError).toMatch(
      /^stream cut off before its usage in the captured head\/tail of a truncated stream; estimated with/,
    );
  });
});

describe("extractUsage on bad input", () => {
  it("never throws on malformed JSON", () => {
    const usage = extractUsage(exchange({ path: chatPath, response: fixture("malformed.json") }));
    expect(usage).toMatchObject({ source: "none", model: "gpt-4o", parser: "openai-chat", totalTokens: 0 });
    expect(usage.parseError).toMatch(/^response is not valid JSON/);
  });

  it("explains an HTML page served with status 200", () => {
    const usage = extractUsage(exchange({ path: chatPath, response: fixture("error.html") }));
    expect(usage).toMatchObject({ source: "none", parseError: "response is HTML or XML, not JSON" });
  });

  it("keeps quiet about an HTML error page with an error status", () => {
    const usage = extractUsage(
      exchange({
        path: chatPath,
        status: 502,
        request: { model: "gpt-4o" },
        response: fixture("error.html"),
      }),
    );
    expect(usage).toMatchObject({ source: "none", model: "gpt-4o", parser: null, parseError: null });
  });

  it("reports an empty body", () => {
    expect(extractUsage(exchange({ path: chatPath, response: "" })).parseError).toBe(
      "response body is empty",
    );
  });

  it("reports an undecodable truncated compressed body with the requested model", () => {
    const big = randomBytes(100_000).toString("hex");
    const response = capture(big, { compress: "gzip", headMax: 512, tailMax: 512 });
    const usage = extractUsage(exchange({ path: chatPath, request: { model: "gpt-4o" }, response }));
    expect(usage).toMatchObject({
      source: "none",
      model: "gpt-4o",
      parseError: "truncated gzip body cannot be decoded",
    });
  });

  it.each([
    ["negative", -5],
    ["fractional", 12.5],
    ["beyond INTEGER", MAX_TOKEN_COUNT + 1],
    ["string", "12"],
  ])("rejects a %s token count with a parse error", (_, value) => {
    const body = JSON.stringify({ model: "gpt-4o", usage: { prompt_tokens: value, completion_tokens: 1 } });
    const usage = extractUsage(exchange({ path: chatPath, response: body }));
    expect(usage).toMatchObject({ source: "none", inputTokens: 0, parser: "openai-chat" });
    expect(usage.parseError).toMatch(/^invalid token count prompt_tokens=/);
  });

  it("rejects counts whose sum overflows INTEGER", () => {
    const body = JSON.stringify({ usage: { prompt_tokens: MAX_TOKEN_COUNT, completion_tokens: 1 } });
    const usage = extractUsage(exchange({ path: chatPath, response: body }));
    expect(usage).toMatchObject({ source: "none", parseError: `token counts exceed ${MAX_TOKEN_COUNT}` });
  });

  it("never throws for random bytes, and always returns safe counts", () => {
    const paths = [chatPath, "/v1/messages", "/v1/responses", "/v1beta/models/g:generateContent", "/x"];
    for (let i = 0; i < 300; i++) {
      const prefix = ["", "data: ", '{"usage":', "event: message_start\ndata: {"][i % 4];
      const body = Buffer.concat([Buffer.from(prefix ?? ""), randomBytes(i * 7)]);
      const ex = exchange({
        path: paths[i % paths.length] ?? "/",
        response: capture(body, { headMax: 300, tailMax: 200 }),
      });
      const usage = extractUsage(ex);
      for (const n of [usage.inputTokens, usage.outputTokens, usage.totalTokens, usage.cachedInputTokens]) {
        expect(Number.isSafeInteger(n) && n >= 0 && n <= MAX_TOKEN_COUNT).toBe(true);
      }
    }
  });

  it("never throws on an exchange with missing parts", () => {
    const broken = {
      method: "POST",
      path: undefined,
      status: 200,
      request: {},
      response: {},
    } as unknown as ExchangeForParsing;
    const usage = extractUsage(broken);
    expect(usage.source).toBe("none");
    expect(usage.parseError).toBe("body capture is malformed");
  });
});

describe("extractUsage bookkeeping", () => {
  it("names only parsers listed in PARSER_NAMES", () => {
    const names = [
      extractUsage(exchange({ path: chatPath, response: fixture("openai-chat.json") })).parser,
      extractUsage(exchange({ path: "/api/chat", response: fixture("ollama-chat.json") })).parser,
    ];
    for (const name of names) expect(PARSER_NAMES).toContain(name);
  });

  it("prefers the response's model over the request's", () => {
    const usage = extractUsage(
      exchange({ path: chatPath, request: { model: "o3-mini" }, response: fixture("openai-chat.json") }),
    );
    expect(usage.model).toBe("o3-mini-2025-01-31");
  });
});
