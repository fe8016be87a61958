import zlib from "node:zlib";
import { capturedBytes } from "@tokenmeter/capture";
import { describe, expect, it } from "vitest";
import { BodyTee } from "./body-tee.js";

function feed(tee: BodyTee, body: Buffer, chunk = 16 * 1024) {
  for (let i = 0; i < body.length; i += chunk) tee.push(body.subarray(i, i + chunk));
}

describe("BodyTee", () => {
  it("keeps a small compressed body as it is, for the worker to decode", async () => {
    const gz = zlib.gzipSync(Buffer.from('{"usage":{"prompt_tokens":3}}'));
    const tee = new BodyTee(1024, "gzip");
    feed(tee, gz);
    expect(tee.pending).toBe(false);
    const capture = await tee.finish();
    expect(capture.encoding).toBe("gzip");
    expect(capture.size).toBe(gz.length);
  });

  it("decodes a large compressed body so its tail is readable, and reports the wire size", async () => {
    const text = Buffer.from(`${"x".repeat(50_000)}{"usage":{"prompt_tokens":7}}`);
    const gz = zlib.gzipSync(text, { level: 0 });
    const tee = new BodyTee(1024, "gzip");
    feed(tee, gz);
    const capture = await tee.finish();
    expect(capture.encoding).toBe("identity");
    expect(capture.decodedFrom).toBe("gzip");
    expect(capture.size).toBe(gz.length);
    expect(capturedBytes(capture).tail.toString()).toContain('"prompt_tokens":7');
  });

  it("gives up on a decompression bomb and still finishes", async () => {
    const bomb = zlib.gzipSync(Buffer.alloc(100 * 1024 * 1024));
    const tee = new BodyTee(16 * 1024, "gzip");
    feed(tee, bomb);
    const capture = await tee.finish();
    expect(capture.encoding).toBe("gzip");
    expect(capture.size).toBe(bomb.length);
  }, 20_000);

  it("never decodes request bodies when told not to", async () => {
    const gz = zlib.gzipSync(Buffer.alloc(200_000, 1), { level: 0 });
    const tee = new BodyTee(1024, "gzip", false);
    feed(tee, gz);
    expect(tee.pending).toBe(false);
    expect((await tee.finish()).truncated).toBe(true);
  });
});
