import { describe, expect, it } from "vitest";
import { capturedBytes, HeadTailBuffer } from "./body-capture.js";

const bytes = (n: number, offset = 0) => Buffer.from(Array.from({ length: n }, (_, i) => (i + offset) % 256));

describe("HeadTailBuffer", () => {
  it("keeps a small body whole and untruncated", () => {
    const b = new HeadTailBuffer(8, 8);
    b.push(Buffer.from("hello "));
    b.push(Buffer.from("world"));
    const out = b.bytes();
    expect(out.truncated).toBe(false);
    expect(out.head.toString()).toBe("hello world");
    expect(out.tail.length).toBe(0);
    expect(b.size).toBe(11);
  });

  it("keeps the first and last bytes of a large body and its true size", () => {
    const body = bytes(10_000);
    const b = new HeadTailBuffer(100, 50);
    for (let i = 0; i < body.length; i += 7) b.push(body.subarray(i, i + 7));
    const out = b.bytes();
    expect(b.size).toBe(10_000);
    expect(out.truncated).toBe(true);
    expect(out.head.equals(body.subarray(0, 100))).toBe(true);
    expect(out.tail.equals(body.subarray(10_000 - 50))).toBe(true);
  });

  it("keeps the right ends whatever the chunk sizes, in bounded memory", () => {
    const body = bytes(200_000, 3);
    // Network-sized chunks, tiny ones (a dribbling peer), one chunk larger than the tail, and a mix.
    const plans = [[65_536], [1], [7, 1, 3], [150_000, 10], [1000, 65_536, 2, 4096]];
    for (const plan of plans) {
      const b = new HeadTailBuffer(1000, 4096);
      let peak = 0;
      let chunks = 0;
      for (let i = 0, j = 0; i < body.length; j++) {
        const n = plan[j % plan.length] as number;
        b.push(body.subarray(i, i + n));
        i += n;
        const inner = b as unknown as { tailBytes: number; tailChunks: Buffer[] };
        const held = inner.tailBytes;
        peak = Math.max(peak, held - Math.min(n, held));
        chunks = Math.max(chunks, inner.tailChunks.length);
      }
      const out = b.bytes();
      expect(out.truncated).toBe(true);
      expect(out.head.equals(body.subarray(0, 1000))).toBe(true);
      expect(out.tail.equals(body.subarray(200_000 - 4096))).toBe(true);
      // Beyond the chunk just pushed, the tail holds at most twice its bound.
      expect(peak).toBeLessThanOrEqual(2 * 4096);
      expect(chunks).toBeLessThanOrEqual(64);
    }
  });

  it("round-trips through the base64 capture", () => {
    const b = new HeadTailBuffer(4, 4);
    b.push(Buffer.from("abcdefghij"));
    const cap = b.toCapture("gzip");
    expect(cap.encoding).toBe("gzip");
    const back = capturedBytes(cap);
    expect(back.head.toString()).toBe("abcd");
    expect(back.tail.toString()).toBe("ghij");
    expect(back.truncated).toBe(true);
  });
});
