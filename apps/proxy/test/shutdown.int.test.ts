import { describe, expect, it } from "vitest";
import { startProxyHarness } from "./harness.js";

describe("shutdown", () => {
  it("sends the captures still buffered (and one still decoding) before it stops", async () => {
    // A flush interval far beyond the test: only the shutdown can deliver these captures.
    const h = await startProxyHarness({ ENQUEUE_INTERVAL_MS: "600000", CAPTURE_MAX_BYTES: "1024" });
    try {
      const ids: string[] = [];
      for (const behavior of ["", "gzip,big:100000"]) {
        const res = await fetch(`${h.base}/${h.slug}/v1/chat/completions`, {
          method: "POST",
          headers: { authorization: `Bearer ${h.key}`, "x-fake-behavior": behavior },
          body: JSON.stringify({ model: "gpt-4" }),
        });
        await res.arrayBuffer();
        ids.push(res.headers.get("x-request-id")!);
      }
      expect(await h.captures()).toHaveLength(0);
      await h.proxy.close(100);
      const captured = new Map((await h.captures()).map((c) => [c.requestId, c]));
      expect(ids.every((id) => captured.has(id))).toBe(true);
      expect(captured.get(ids[1]!)?.response.body.decodedFrom).toBe("gzip");
    } finally {
      await h.close();
    }
  });
});
