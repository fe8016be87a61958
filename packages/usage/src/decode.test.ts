import { gzipSync } from "node:zlib";
import type { BodyCapture } from "@tokenmeter/capture";
import { describe, expect, it } from "vitest";
import { type Compression, capture } from "../test/helpers.js";
import { decodeBody, MAX_DECODED_BYTES } from "./decode.js";

const text = '{"usage":{"prompt_tokens":1}}'.repeat(50);

describe("decodeBody", () => {
  it("passes an identity body through unchanged", () => {
    const out = decodeBody(capture(text));
    expect(out.error).toBeNull();
    expect(out.bytes.head.toString()).toBe(text);
  });

  it.each<Compression>(["gzip", "x-gzip", "br", "deflate", "deflate-raw"])(
    "decodes a %s body",
    (compress) => {
      const out = decodeBody(capture(text, { compress }));
      expect(out.error).toBeNull();
      expect(out.bytes.head.toString()).toBe(text);
      expect(out.bytes.truncated).toBe(false);
    },
  );

  it("undoes stacked codings from last to first", () => {
    const body = { ...capture(gzipSync(Buffer.from(text)), { compress: "br" }), encoding: "gzip, br" };
    const out = decodeBody(body);
    expect(out.error).toBeNull();
    expect(out.bytes.head.toString()).toBe(text);
  });

  it("treats the encoding label case-insensitively", () => {
    const body = { ...capture(text, { compress: "gzip" }), encoding: " GZIP " };
    expect(decodeBody(body).bytes.head.toString()).toBe(text);
  });

  it("reports a truncated compressed body as a parse error", () => {
    const big = Buffer.from(Array.from({ length: 50_000 }, (_, i) => `${i * 7919}`).join(","));
    const body = capture(big, { compress: "gzip", headMax: 1000, tailMax: 1000 });
    expect(body.truncated).toBe(true);
    expect(decodeBody(body).error).toBe("truncated gzip body cannot be decoded");
  });

  it("accepts a truncated body the proxy already decoded", () => {
    const body = capture(text.repeat(10), { headMax: 100, tailMax: 100, decodedFrom: "br" });
    const out = decodeBody(body);
    expect(out.error).toBeNull();
    expect(out.bytes.truncated).toBe(true);
    expect(out.bytes.head.length).toBe(100);
  });

  it("reports an unsupported content-encoding", () => {
    expect(decodeBody({ ...capture(text), encoding: "zstd" }).error).toBe(
      "unsupported content-encoding zstd",
    );
  });

  it("reports a corrupt gzip body", () => {
    const out = decodeBody({ ...capture("not gzip at all"), encoding: "gzip" });
    expect(out.error).toMatch(/^cannot decode gzip body/);
  });

  it("reports a gzip body cut short by the upstream", () => {
    const whole = gzipSync(Buffer.from(text));
    expect(decodeBody({ ...capture(whole.subarray(0, 20)), encoding: "gzip" }).error).toMatch(
      /unexpected end/,
    );
  });

  it("refuses to inflate beyond the output bound", () => {
    const bomb = gzipSync(Buffer.alloc(MAX_DECODED_BYTES + 1024));
    const out = decodeBody({ ...capture(bomb), encoding: "gzip" });
    expect(out.error).toBe(`decoded body exceeds ${MAX_DECODED_BYTES} bytes`);
  });

  it("never throws on a capture that is not a capture", () => {
    const broken = {
      size: 3,
      head: 42,
      tail: null,
      truncated: false,
      encoding: "gzip",
    } as unknown as BodyCapture;
    expect(() => decodeBody(broken)).not.toThrow();
    expect(decodeBody(broken).error).not.toBeNull();
  });
});
