import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { decodeCaptureOffLoop, extractUsage } from "../src/index.js";
import { type Compression, capture, exchange, fixture } from "./helpers.js";

const meter = async (ex: ReturnType<typeof exchange>) => extractUsage(await decodeCaptureOffLoop(ex));

describe("inflating captures off the event loop", () => {
  it.each<Compression>(["gzip", "br", "deflate", "deflate-raw"])(
    "gives the same usage as decoding on the loop (%s)",
    async (compress) => {
      const ex = exchange({
        path: "/v1/messages",
        response: capture(fixture("anthropic-stream.sse"), { compress }),
      });
      const before = ex.response.body;
      const usage = await meter(ex);
      expect(usage).toEqual(extractUsage(ex));
      expect(usage).toMatchObject({ source: "reported", totalTokens: 2088 });
      expect(ex.response.body).toBe(before);
    },
  );

  it("keeps a head and a tail of a large decoded body and the wire size", async () => {
    const body = JSON.stringify({
      object: "chat.completion",
      model: "gpt-4o",
      choices: [{ message: { content: "word ".repeat(500_000) } }],
      usage: { prompt_tokens: 3, completion_tokens: 500_000 },
    });
    const ex = exchange({ path: "/v1/chat/completions", response: capture(body, { compress: "gzip" }) });
    const decoded = await decodeCaptureOffLoop(ex);
    expect(decoded.response.body).toMatchObject({
      truncated: true,
      encoding: "identity",
      decodedFrom: "gzip",
    });
    expect(decoded.response.body.size).toBe(ex.response.body.size);
    expect(extractUsage(decoded)).toMatchObject({ model: "gpt-4o", inputTokens: 3, outputTokens: 500_000 });
  });

  it("returns plain bodies untouched", async () => {
    const ex = exchange({ path: "/v1/chat/completions", response: fixture("openai-chat.json") });
    expect(await decodeCaptureOffLoop(ex)).toBe(ex);
  });

  it("records a compression bomb without inflating it again on the loop", async () => {
    const bomb = gzipSync(Buffer.alloc(80 * 1024 * 1024));
    const ex = exchange({
      path: "/v1/chat/completions",
      response: {
        size: bomb.length,
        head: bomb.toString("base64"),
        tail: "",
        truncated: false,
        encoding: "gzip",
      },
    });
    const usage = await meter(ex);
    expect(usage).toMatchObject({ source: "none", totalTokens: 0 });
    expect(usage.parseError).toBe("cannot decode gzip; decoded body exceeds 67108864 bytes");
  });
});
