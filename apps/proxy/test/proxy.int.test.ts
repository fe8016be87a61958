import zlib from "node:zlib";
import { capturedBytes } from "@tokenmeter/capture";
import { requestTimeOf } from "@tokenmeter/pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ProxyHarness, startProxyHarness, waitFor } from "./harness.js";

let h: ProxyHarness;
beforeAll(async () => {
  h = await startProxyHarness();
});
afterAll(async () => {
  await h.close();
});

const chat = (body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${h.base}/${h.slug}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${h.key}`, "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });

const json = async (res: Response) => (await res.json()) as { code?: string; redis?: string };

async function captureFor(requestId: string) {
  return waitFor(async () => (await h.captures()).find((c) => c.requestId === requestId));
}

describe("proxy", () => {
  it("forwards with the seller's credentials in place of the buyer's key", async () => {
    const res = await chat({ model: "gpt-4", messages: [{ role: "user", content: "hi" }] });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    const seen = h.upstream.received.at(-1)!;
    expect(seen.url).toBe("/v1/chat/completions");
    expect(seen.headers.authorization).toBe("Bearer sk-seller-secret");
    expect(seen.headers["x-seller-org"]).toBe("org-42");
    expect(JSON.stringify(seen.headers)).not.toContain(h.key);
  });

  it("keeps connections alive to the upstream and to the buyer", async () => {
    const res = await chat({ model: "gpt-4" });
    await res.arrayBuffer();
    expect(h.upstream.received.at(-1)!.headers.connection).not.toBe("close");
    expect(res.headers.get("connection")).not.toBe("close");
  });

  it("returns the upstream body byte for byte with our own x-request-id", async () => {
    const res = await chat({ model: "gpt-4", messages: [] }, { "x-fake-usage": "7,9" });
    const body = Buffer.from(await res.arrayBuffer());
    const requestId = res.headers.get("x-request-id")!;
    expect(requestId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-/);
    expect(res.headers.get("x-upstream-request-id")).toMatch(/^req_upstream_/);
    const direct = await fetch(`${h.upstream.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "x-fake-usage": "7,9" },
      body: JSON.stringify({ model: "gpt-4", messages: [] }),
    });
    expect(body.equals(Buffer.from(await direct.arrayBuffer()))).toBe(true);
    const capture = await captureFor(requestId);
    expect(capture.buyerId).toBe(h.buyerId);
    expect(capture.apiKeyId).toBe(h.keyId);
    expect(capture.serviceId).toBe(h.serviceId);
    // The call is dated by its id's own millisecond (the ledger's unique key relies on it).
    expect(capture.receivedAt).toBe(requestTimeOf(requestId)?.toISOString());
    expect(capture.response.status).toBe(200);
    expect(capture.response.upstreamRequestId).toBe(res.headers.get("x-upstream-request-id"));
    expect(capturedBytes(capture.response.body).head.equals(body)).toBe(true);
    expect(capture.response.body.size).toBe(body.length);
    expect(JSON.parse(capturedBytes(capture.request.body).head.toString()).model).toBe("gpt-4");
  });

  it("never uses a buyer-sent x-request-id as ours", async () => {
    const res = await chat({ model: "gpt-4" }, { "x-request-id": "buyer-chosen" });
    await res.arrayBuffer();
    expect(res.headers.get("x-request-id")).not.toBe("buyer-chosen");
  });

  it("streams SSE through and captures the whole stream", async () => {
    const res = await chat({ model: "gpt-4", stream: true, stream_options: { include_usage: true } });
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const text = await res.text();
    expect(text).toContain("data: [DONE]");
    const capture = await captureFor(res.headers.get("x-request-id")!);
    expect(capture.streamed).toBe(true);
    expect(capturedBytes(capture.response.body).head.toString()).toBe(text);
  });

  it("leaves gzip responses compressed for the buyer", async () => {
    const res = await fetch(`${h.base}/${h.slug}/v1/chat/completions`, {
      method: "POST",
      headers: { "x-api-key": h.key, "x-fake-behavior": "gzip", "accept-encoding": "gzip" },
      body: JSON.stringify({ model: "gpt-4" }),
    });
    expect(res.headers.get("content-encoding")).toBe("gzip");
    const text = await res.text(); // fetch decodes it
    const capture = await captureFor(res.headers.get("x-request-id")!);
    expect(capture.response.body.encoding).toBe("gzip");
    expect(zlib.gunzipSync(capturedBytes(capture.response.body).head).toString()).toBe(text);
  });

  it("keeps 32 KiB of each end of a big JSON answer and 128 KiB of a big stream's", async () => {
    const res = await chat({ model: "gpt-4" }, { "x-fake-behavior": "big:300000", "x-fake-usage": "7,8" });
    await res.arrayBuffer();
    const sse = await chat({ model: "gpt-4", stream: true }, { "x-fake-behavior": "big:300000" });
    await sse.arrayBuffer();
    const json = (await captureFor(res.headers.get("x-request-id")!)).response.body;
    const jsonBytes = capturedBytes(json);
    expect(json.truncated).toBe(true);
    expect([jsonBytes.head.length, jsonBytes.tail.length]).toEqual([32 * 1024, 32 * 1024]);
    expect(jsonBytes.tail.toString()).toContain('"prompt_tokens":7');
    const stream = capturedBytes((await captureFor(sse.headers.get("x-request-id")!)).response.body);
    expect([stream.head.length, stream.tail.length]).toEqual([128 * 1024, 128 * 1024]);
    expect(stream.tail.toString()).toContain("data: [DONE]");
  });

  it("decodes a large gzip body in the tee so its usage (at the end) survives the cap", async () => {
    const small = await startProxyHarness({ CAPTURE_MAX_BYTES: "1024" });
    try {
      const res = await fetch(`${small.base}/${small.slug}/v1/chat/completions`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${small.key}`,
          "x-fake-behavior": "big:200000",
          "x-fake-usage": "5,6",
        },
        body: JSON.stringify({ model: "gpt-4" }),
      });
      expect(res.headers.get("content-encoding")).toBeNull();
      await res.arrayBuffer();
      const gz = await fetch(`${small.base}/${small.slug}/v1/chat/completions`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${small.key}`,
          "x-fake-behavior": "gzip,big:200000",
          "x-fake-usage": "8,9",
        },
        body: JSON.stringify({ model: "gpt-4" }),
      });
      expect(gz.headers.get("content-encoding")).toBe("gzip");
      await gz.arrayBuffer();
      const plain = await waitFor(async () =>
        (await small.captures()).find((c) => c.requestId === res.headers.get("x-request-id")),
      );
      expect(plain.response.body.truncated).toBe(true);
      expect(capturedBytes(plain.response.body).tail.toString()).toContain('"prompt_tokens":5');
      const capture = await waitFor(async () =>
        (await small.captures()).find((c) => c.requestId === gz.headers.get("x-request-id")),
      );
      expect(capture.response.body.encoding).toBe("identity");
      expect(capture.response.body.decodedFrom).toBe("gzip");
      expect(capture.response.body.size).toBe(Number(gz.headers.get("content-length")));
      expect(capture.response.body.truncated).toBe(true);
      expect(capturedBytes(capture.response.body).tail.toString()).toContain('"prompt_tokens":8');
    } finally {
      await small.close();
    }
  });

  it("answers 401 for a missing or unknown key and 404 for an unknown service", async () => {
    const none = await fetch(`${h.base}/${h.slug}/v1/chat/completions`, { method: "POST", body: "{}" });
    expect(none.status).toBe(401);
    expect((await json(none)).code).toBe("missing_key");
    const bad = await fetch(`${h.base}/${h.slug}/v1/x`, { headers: { authorization: "Bearer tm_nope" } });
    expect(bad.status).toBe(401);
    expect((await json(bad)).code).toBe("invalid_key");
    const unknown = await fetch(`${h.base}/no-such-svc/v1/x`, {
      headers: { authorization: `Bearer ${h.key}` },
    });
    expect(unknown.status).toBe(404);
    expect((await json(unknown)).code).toBe("unknown_service");
  });

  it("accepts the key as ?key= and does not forward it", async () => {
    const res = await fetch(`${h.base}/${h.slug}/v1beta/models/gemini-pro:generateContent?key=${h.key}&x=1`, {
      method: "POST",
      body: JSON.stringify({ contents: [] }),
    });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    expect(h.upstream.received.at(-1)!.url).toBe("/v1beta/models/gemini-pro:generateContent?x=1");
    const capture = await captureFor(res.headers.get("x-request-id")!);
    expect(capture.path).toBe("/v1beta/models/gemini-pro:generateContent?x=1");
  });

  it("refuses a request over MAX_REQUEST_BYTES with 413 and still records it", async () => {
    const tiny = await startProxyHarness({ MAX_REQUEST_BYTES: "1000" });
    try {
      const res = await fetch(`${tiny.base}/${tiny.slug}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${tiny.key}` },
        body: "x".repeat(5000),
      });
      expect(res.status).toBe(413);
      expect((await json(res)).code).toBe("request_too_large");
      const capture = await waitFor(async () =>
        (await tiny.captures()).find((c) => c.requestId === res.headers.get("x-request-id")),
      );
      expect(capture.errorCode).toBe("request_too_large");
      expect(capture.upstreamReached).toBe(false);
      expect(capture.response.status).toBe(413);
      expect(tiny.upstream.received.length).toBe(0);
    } finally {
      await tiny.close();
    }
  });

  it("answers 502 when the upstream is down and records the call as not reaching it", async () => {
    const svc = await h.db.apiService.create({
      data: { name: "dead", slug: `dead-${Date.now()}`, upstreamUrl: "http://127.0.0.1:1" },
    });
    const res = await fetch(`${h.base}/${svc.slug}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${h.key}` },
      body: "{}",
    });
    expect(res.status).toBe(502);
    expect((await json(res)).code).toBe("upstream_unreachable");
    const capture = await captureFor(res.headers.get("x-request-id")!);
    expect(capture.upstreamReached).toBe(false);
    expect(capture.errorCode).toBe("upstream_unreachable");
  });

  it("answers 504 when the upstream does not answer in time", async () => {
    const slow = await startProxyHarness({ UPSTREAM_IDLE_TIMEOUT_MS: "200" });
    try {
      const res = await fetch(`${slow.base}/${slow.slug}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${slow.key}`, "x-fake-behavior": "hang" },
        body: "{}",
      });
      expect(res.status).toBe(504);
      const capture = await waitFor(async () =>
        (await slow.captures()).find((c) => c.requestId === res.headers.get("x-request-id")),
      );
      expect(capture.errorCode).toBe("upstream_timeout");
      expect(capture.upstreamReached).toBe(true);
    } finally {
      await slow.close();
    }
  });

  it("passes upstream error statuses through and records them", async () => {
    const res = await chat({ model: "gpt-4" }, { "x-fake-behavior": "error:429" });
    expect(res.status).toBe(429);
    await res.arrayBuffer();
    const capture = await captureFor(res.headers.get("x-request-id")!);
    expect(capture.response.status).toBe(429);
    expect(capture.upstreamReached).toBe(true);
  });

  it("serves health and metrics without a key", async () => {
    const health = await fetch(`${h.base}/healthz`);
    expect(health.status).toBe(200);
    expect((await json(health)).redis).toBe("up");
    const metrics = await (await fetch(`${h.base}/metrics`)).text();
    expect(metrics).toContain("tokenmeter_proxy_captures_enqueued_total");
  });
});

describe("opt-in stream usage", () => {
  it("adds stream_options.include_usage for services that opt in, and only for streams lacking it", async () => {
    await h.db.apiService.update({ where: { id: BigInt(h.serviceId) }, data: { injectStreamUsage: false } });
    const svc = await h.db.apiService.create({
      data: {
        name: "opted in",
        slug: `inject-${Date.now()}`,
        upstreamUrl: h.upstream.url,
        injectStreamUsage: true,
      },
    });
    const post = (slug: string, body: unknown) =>
      fetch(`${h.base}/${slug}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${h.key}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const streamed = await post(svc.slug, { model: "gpt-4", stream: true, messages: [] });
    const text = await streamed.text();
    expect(JSON.parse(h.upstream.received.at(-1)!.body.toString()).stream_options).toEqual({
      include_usage: true,
    });
    expect(text).toContain('"usage":{"prompt_tokens"');
    const capture = await captureFor(streamed.headers.get("x-request-id")!);
    expect(JSON.parse(capturedBytes(capture.request.body).head.toString()).stream_options.include_usage).toBe(
      true,
    );

    const plain = await post(svc.slug, { model: "gpt-4", messages: [] });
    await plain.arrayBuffer();
    expect(h.upstream.received.at(-1)!.body.toString()).toBe(
      JSON.stringify({ model: "gpt-4", messages: [] }),
    );

    const untouched = await post(h.slug, { model: "gpt-4", stream: true, messages: [] });
    await untouched.text();
    expect(JSON.parse(h.upstream.received.at(-1)!.body.toString()).stream_options).toBeUndefined();
  });
});

describe("broken streams", () => {
  it("records an upstream that dies mid-stream as upstream_aborted", async () => {
    const res = await chat({ model: "gpt-4", stream: true }, { "x-fake-behavior": "drop,chunk-delay:5" });
    const id = res.headers.get("x-request-id")!;
    await res.text().catch(() => "");
    const capture = await captureFor(id);
    expect(capture.errorCode).toBe("upstream_aborted");
    expect(capture.upstreamReached).toBe(true);
    expect(capture.response.status).toBe(200);
  });

  it("records a buyer who hangs up mid-stream as client_aborted", async () => {
    const controller = new AbortController();
    const res = await fetch(`${h.base}/${h.slug}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${h.key}`, "x-fake-behavior": "chunk-delay:200" },
      body: JSON.stringify({ model: "gpt-4", stream: true }),
      signal: controller.signal,
    });
    const id = res.headers.get("x-request-id")!;
    const reader = res.body!.getReader();
    await reader.read();
    controller.abort();
    const capture = await captureFor(id);
    expect(capture.errorCode).toBe("client_aborted");
    expect(capture.response.body.size).toBeGreaterThan(0);
  });
});
