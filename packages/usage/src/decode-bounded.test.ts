import { brotliCompressSync, deflateRawSync, gzipSync } from "node:zlib";
import type { BodyCapture } from "@tokenmeter/capture";
import { describe, expect, it } from "vitest";
import { decodeBody } from "./decode.js";
import { decodeBodyBounded, REQUEST_DECODE_LIMITS, RESPONSE_DECODE_LIMITS } from "./decode-bounded.js";

const captured = (data: Buffer, encoding: string): BodyCapture => ({
  size: data.length,
  head: data.toString("base64"),
  tail: "",
  truncated: false,
  encoding,
});
const text = (body: BodyCapture) => Buffer.from(body.head, "base64").toString();

describe("decodeBodyBounded", () => {
  it("decodes gzip, br and raw deflate bodies into identity bodies", async () => {
    const json = '{"usage":{"prompt_tokens":1}}';
    for (const [data, enc] of [
      [gzipSync(json), "gzip"],
      [brotliCompressSync(json), "br"],
      [deflateRawSync(json), "deflate"],
      [gzipSync(brotliCompressSync(json)), "br, gzip"],
    ] as const) {
      const out = await decodeBodyBounded(captured(data, enc), RESPONSE_DECODE_LIMITS);
      expect(out.encoding, enc).toBe("identity");
      expect(text(out)).toBe(json);
      expect(decodeBody(out).error).toBeNull();
    }
  });

  it("stops a compression bomb at the output bound: responses are refused, requests keep their head", async () => {
    const bomb = gzipSync(
      Buffer.concat([Buffer.from('{"model":"gpt-4","x":"'), Buffer.alloc(100 * 1024 * 1024, 97)]),
    );
    expect(bomb.length).toBeLessThan(200 * 1024);
    const response = await decodeBodyBounded(captured(bomb, "gzip"), {
      ...RESPONSE_DECODE_LIMITS,
      maxBytes: 4 * 1024 * 1024,
      timeoutMs: 60_000,
    });
    expect(response.undecodable).toMatch(/exceeds/);
    expect(decodeBody(response).error).toMatch(/exceeds/);
    const request = await decodeBodyBounded(captured(bomb, "gzip"), {
      ...REQUEST_DECODE_LIMITS,
      timeoutMs: 60_000,
    });
    expect(request.truncated).toBe(true);
    expect(Buffer.from(request.head, "base64").length).toBe(REQUEST_DECODE_LIMITS.maxBytes);
    expect(text(request).startsWith('{"model":"gpt-4"')).toBe(true);
  });

  it("gives up after the time bound", async () => {
    const big = gzipSync(Buffer.alloc(64 * 1024 * 1024, 98));
    const out = await decodeBodyBounded(captured(big, "gzip"), {
      maxBytes: 1e9,
      timeoutMs: 1,
      keepHead: false,
    });
    expect(out.undecodable).toMatch(/longer than 1 ms/);
  });

  it("marks corrupt data undecodable instead of throwing", async () => {
    const out = await decodeBodyBounded(
      captured(Buffer.from("not gzip at all"), "gzip"),
      RESPONSE_DECODE_LIMITS,
    );
    expect(out.undecodable).toMatch(/cannot decode gzip/);
  });
});
